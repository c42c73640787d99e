// Type-ahead for the search box in every page's header (and the person pickers of /connect).
// It asks GET {root}/search/suggest?q= for at most 8 results {id, label, type, matched, score,
// pseudonym, href}; arrow keys move through them, Enter opens the chosen one (or, with none
// chosen, submits the form: /search?q=), Escape closes the list. Data is written with
// textContent only.
(function () {
  "use strict";
  var BASE = "https://w3id.org/shezhire/";
  var DELAY_MS = 120;
  var MAX = 8;
  var counter = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null && text !== "") { node.textContent = String(text); }
    return node;
  }

  function hrefOf(result, root) {
    var href = typeof result.href === "string" ? result.href : "";
    if (href.charAt(0) === "/" && href.charAt(1) !== "/") {
      return root && href.indexOf(root + "/") !== 0 ? root + href : href;
    }
    if (/^https?:\/\//i.test(href) && href.indexOf(BASE) !== 0) { return href; }
    var id = href.indexOf(BASE) === 0 ? href : String(result.id || "");
    return id.indexOf(BASE) === 0 ? root + "/" + id.slice(BASE.length) : null;
  }

  // attach(input, list, options): options.url (the suggest URL), options.root, options.params
  // (extra query parameters), options.filter(result) -> bool, options.onPick(result, href),
  // options.onEnter(text) -> true when it handled an Enter with no option chosen.
  function attach(input, list, options) {
    options = options || {};
    var root = options.root || "";
    var url = options.url || input.getAttribute("data-suggest") || root + "/search/suggest";
    var results = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var sequence = 0;
    var listId = list.id || "suggest-" + (++counter);
    list.id = listId;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    list.setAttribute("role", "listbox");

    function close() {
      list.hidden = true;
      list.textContent = "";
      results = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function setActive(index) {
      var items = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < items.length; i++) {
        var on = i === index;
        items[i].classList.toggle("active", on);
        items[i].setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          input.setAttribute("aria-activedescendant", items[i].id);
          if (items[i].scrollIntoView) { items[i].scrollIntoView({ block: "nearest" }); }
        }
      }
      if (index < 0) { input.removeAttribute("aria-activedescendant"); }
    }

    function pick(index) {
      var result = results[index];
      if (!result) { return; }
      var href = hrefOf(result, root);
      close();
      if (options.onPick) { options.onPick(result, href); return; }
      if (href) { window.location.href = href; }
    }

    function render(query) {
      list.textContent = "";
      if (!results.length) {
        list.appendChild(el("li", "suggest-empty", "No match for “" + query + "”"));
      }
      results.forEach(function (result, index) {
        var item = el("li", "suggest-item");
        item.id = listId + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.setAttribute("data-id", String(result.id || ""));
        var line = el("span", "suggest-line");
        line.appendChild(el("span", "suggest-label", result.label || result.id));
        if (result.type) { line.appendChild(el("span", "suggest-type", result.type)); }
        if (result.pseudonym) {
          var badge = el("span", "badge pseudo", "pseudonym");
          badge.title = "A fictional name chosen by the author";
          line.appendChild(badge);
        }
        item.appendChild(line);
        var matched = String(result.matched || "");
        if (matched && String(result.label || "").toLowerCase().indexOf(matched.toLowerCase()) < 0) {
          item.appendChild(el("span", "suggest-matched", "matched: " + result.matched));
        }
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input until the pick is done
          pick(index);
        });
        item.addEventListener("mousemove", function () { if (active !== index) { setActive(index); } });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query.length < 2) { close(); return; }
      var mine = ++sequence;
      if (controller) { controller.abort(); }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var params = new URLSearchParams();
      params.set("q", query);
      var extra = options.params || {};
      Object.keys(extra).forEach(function (key) { params.set(key, extra[key]); });
      fetch(url + "?" + params.toString(), {
        headers: { "Accept": "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        if (!response.ok) { throw new Error("suggest answered " + response.status); }
        return response.json();
      }).then(function (data) {
        if (mine !== sequence || input.value.trim() !== query) { return; }
        var found = (data && data.results) || [];
        if (options.filter) { found = found.filter(options.filter); }
        results = found.slice(0, MAX);
        render(query);
        if (document.activeElement !== input) { close(); }
      }).catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        if (mine === sequence) { close(); }
      });
    }

    input.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(fetchSuggestions, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && results.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) { fetchSuggestions(); return; }
        event.preventDefault();
        setActive(active + 1 >= results.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) { return; }
        event.preventDefault();
        setActive(active - 1 < 0 ? results.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          pick(active);
        } else if (options.onEnter && options.onEnter(input.value.trim(), results)) {
          event.preventDefault();
          close();
        } else {
          close(); // the form submits: /search?q=
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    return { close: close, refresh: fetchSuggestions, results: function () { return results; } };
  }

  window.ShezhireSuggest = { attach: attach, hrefOf: hrefOf };

  function init() {
    var input = document.getElementById("site-search-input");
    var list = document.getElementById("site-search-list");
    if (!input || !list) { return; }
    var form = input.form;
    attach(input, list, {
      root: input.getAttribute("data-root") || "",
      url: input.getAttribute("data-suggest"),
      onEnter: function (text) {
        if (!text && form) { return true; } // nothing to search for
        return false;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

// The query page: load examples into the editor, POST the query to the SPARQL endpoint and
// render the JSON results as a table. Data is only ever written with textContent.
(function () {
  "use strict";
  var BASE = "https://w3id.org/shezhire/";
  var PREFIXES = [
    ["person:", BASE + "id/person/"], ["tie:", BASE + "id/tie/"], ["event:", BASE + "id/event/"],
    ["position:", BASE + "id/position/"], ["lact:", BASE + "id/act/"], ["item:", BASE + "id/item/"],
    ["ref:", BASE + "id/ref/"], ["inst:", BASE + "id/inst/"], ["place:", BASE + "id/place/"],
    ["work:", BASE + "id/work/"], ["stat:", BASE + "id/stat/"], ["note:", BASE + "id/note/"],
    ["kin:", BASE + "vocab/kin/"], ["soc:", BASE + "vocab/soc/"], ["mode:", BASE + "vocab/mode/"],
    ["cert:", BASE + "vocab/cert/"], ["evt:", BASE + "vocab/evt/"], ["role:", BASE + "vocab/role/"],
    ["act:", BASE + "vocab/act/"], ["itype:", BASE + "vocab/itype/"], ["ptype:", BASE + "vocab/ptype/"],
    ["unit:", BASE + "vocab/unit/"], ["shz:", BASE + "ontology#"], ["graph:", BASE + "graph/"],
    ["schema:", "https://schema.org/"], ["rdfs:", "http://www.w3.org/2000/01/rdf-schema#"],
    ["rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"], ["xsd:", "http://www.w3.org/2001/XMLSchema#"],
    ["skos:", "http://www.w3.org/2004/02/skos/core#"]
  ];
  var config = JSON.parse(document.getElementById("page-config").textContent);
  var examples = JSON.parse(document.getElementById("examples-data").textContent);
  var editor = document.getElementById("query");
  var form = document.getElementById("query-form");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var runButton = document.getElementById("run");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function shorten(iri) {
    for (var i = 0; i < PREFIXES.length; i++) {
      if (iri.indexOf(PREFIXES[i][1]) === 0 && iri.length > PREFIXES[i][1].length) {
        return PREFIXES[i][0] + iri.slice(PREFIXES[i][1].length);
      }
    }
    return iri;
  }

  function localHref(iri) {
    if (iri.indexOf(BASE) === 0) { return config.root + "/" + iri.slice(BASE.length); }
    if (/^https?:\/\//i.test(iri)) { return iri; }
    return null;
  }

  function cell(term) {
    var td = el("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      var href = localHref(term.value);
      var node = href ? el("a", "", shorten(term.value)) : el("span", "", term.value);
      if (href) { node.setAttribute("href", href); node.setAttribute("title", term.value); }
      td.appendChild(node);
    } else if (term.type === "bnode") {
      td.appendChild(el("span", "muted", "_:" + term.value));
    } else {
      td.appendChild(el("span", "lit", term.value));
      if (term["xml:lang"]) { td.appendChild(el("span", "lang", term["xml:lang"])); }
    }
    return td;
  }

  function render(data, millis) {
    results.textContent = "";
    if (typeof data.boolean === "boolean") {
      results.appendChild(el("p", "ask", data.boolean ? "true" : "false"));
      status.textContent = "ASK answered in " + millis + " ms";
      return;
    }
    var vars = (data.head && data.head.vars) || [];
    var rows = (data.results && data.results.bindings) || [];
    var table = el("table", "grid results-table");
    var head = el("thead");
    var tr = el("tr");
    vars.forEach(function (v) { tr.appendChild(el("th", "", v)); });
    head.appendChild(tr);
    table.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (row) {
      var line = el("tr");
      vars.forEach(function (v) { line.appendChild(cell(row[v])); });
      body.appendChild(line);
    });
    table.appendChild(body);
    results.appendChild(table);
    status.textContent = rows.length + (rows.length === 1 ? " row" : " rows") + " in " + millis + " ms";
    results.setAttribute("data-rows", String(rows.length));
  }

  function run() {
    var started = Date.now();
    status.textContent = "running…";
    runButton.disabled = true;
    results.removeAttribute("data-rows");
    var body = new URLSearchParams();
    body.set("query", editor.value);
    fetch(config.endpoint, {
      method: "POST",
      headers: { "Accept": "application/sparql-results+json",
                 "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (response) {
      var millis = Date.now() - started;
      var type = response.headers.get("content-type") || "";
      if (!response.ok || type.indexOf("json") < 0) {
        return response.text().then(function (text) {
          results.textContent = "";
          results.appendChild(el("pre", "error", text || response.statusText));
          status.textContent = "error " + response.status;
        });
      }
      return response.json().then(function (data) { render(data, millis); });
    }).catch(function (error) {
      results.textContent = "";
      results.appendChild(el("pre", "error", String(error)));
      status.textContent = "failed";
    }).then(function () { runButton.disabled = false; });
  }

  function load(name) {
    examples.forEach(function (e) {
      if (e.name === name) { editor.value = e.query; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (b) {
      b.classList.toggle("on", b.getAttribute("data-name") === name);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (button) {
    button.addEventListener("click", function () {
      load(button.getAttribute("data-name"));
      editor.focus();
    });
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(); }
  });
  if (config.example) { load(config.example); }
  if (config.autorun && editor.value.trim()) { run(); }
})();

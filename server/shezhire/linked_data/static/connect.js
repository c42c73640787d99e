// "How are these two connected?": two person pickers (type-ahead on /search/suggest), then
// GET /network/path?from=&to=&max=&k=&kind=&min_certainty=&format=cytoscape, drawn with
// ShezhireGraph and listed path by path, step by step, each tie with its evidence. The
// cytoscape instance and the paths are window.shezhireConnect.
(function () {
  "use strict";
  var G = window.ShezhireGraph;
  var config = JSON.parse(document.getElementById("connect-config").textContent);
  var root = config.root || "";
  var PERSON = "https://w3id.org/shezhire/id/person/";
  var K = 12;
  var form = document.getElementById("connect-form");
  var canvas = document.getElementById("connect-canvas");
  var side = document.getElementById("connect-side");
  var status = document.getElementById("connect-status");
  var list = document.getElementById("connect-paths");
  var count = document.getElementById("connect-count");
  var el = G.el;
  var hint = side.cloneNode(true);
  var state = { cy: null, paths: [], chosen: -1 };
  window.shezhireConnect = state;

  function picker(name) {
    var input = document.getElementById("connect-" + name + "-input");
    var hidden = document.getElementById("connect-" + name);
    var box = document.getElementById("connect-" + name + "-list");
    var widget = window.ShezhireSuggest ? window.ShezhireSuggest.attach(input, box, {
      root: root,
      params: { type: "person" },
      filter: function (r) { return typeof r.id === "string" && r.id.indexOf(PERSON) === 0; },
      onPick: function (result) {
        hidden.value = result.id;
        input.value = result.label || result.id;
        input.classList.add("picked");
      },
      onEnter: function (text, results) {
        if (results && results.length) { // Enter with nothing chosen takes the first match
          hidden.value = results[0].id;
          input.value = results[0].label || results[0].id;
          input.classList.add("picked");
          return true;
        }
        return false;
      }
    }) : null;
    input.addEventListener("input", function () {
      hidden.value = "";
      input.classList.remove("picked");
    });
    return { input: input, hidden: hidden, widget: widget };
  }

  var ends = { from: picker("from"), to: picker("to") };

  document.getElementById("connect-swap").addEventListener("click", function () {
    var a = ends.from, b = ends.to;
    var value = a.hidden.value, text = a.input.value, picked = a.input.classList.contains("picked");
    a.hidden.value = b.hidden.value; a.input.value = b.input.value;
    a.input.classList.toggle("picked", b.input.classList.contains("picked"));
    b.hidden.value = value; b.input.value = text; b.input.classList.toggle("picked", picked);
  });

  form.addEventListener("submit", function (event) {
    // A name typed but not picked goes as typed (an IRI, person:slug or slug works too).
    [ends.from, ends.to].forEach(function (end) {
      if (!end.hidden.value && end.input.value.trim()) { end.hidden.value = end.input.value.trim(); }
    });
    if (!ends.from.hidden.value || !ends.to.hidden.value) {
      event.preventDefault();
      status.textContent = "Pick two persons first.";
    }
  });

  function resetSide() {
    side.textContent = "";
    Array.prototype.forEach.call(hint.childNodes, function (n) { side.appendChild(n.cloneNode(true)); });
  }

  function personLink(iri, label) {
    return G.link(iri, label || iri, root);
  }

  function choose(index) {
    state.chosen = state.chosen === index ? -1 : index;
    Array.prototype.forEach.call(list.children, function (item, i) {
      item.classList.toggle("on", i === state.chosen);
    });
    var cy = state.cy;
    if (!cy) { return; }
    cy.elements().removeClass("dim chosen");
    if (state.chosen < 0) { return; }
    var path = state.paths[state.chosen];
    var keep = cy.collection();
    path.nodes.forEach(function (id) { keep = keep.union(cy.getElementById(id)); });
    path.steps.forEach(function (step) {
      step.ties.forEach(function (tie) { keep = keep.union(cy.getElementById(tie.tie || tie.key)); });
    });
    cy.elements().not(keep).addClass("dim");
    keep.edges().addClass("chosen");
  }

  function renderStepTie(tie, open) {
    var box = el("div", "step-tie " + (tie.kind || ""));
    box.appendChild(G.tieFacts(tie));
    if (tie.label) { box.appendChild(el("p", "tie-sentence", tie.label)); }
    var citations = tie.citations || [];
    if (citations.length) {
      var details = el("details", "evidence");
      details.open = open;
      details.appendChild(el("summary", "", "evidence (" + citations.length + ")"));
      citations.forEach(function (c) { details.appendChild(G.citation(c, root)); });
      box.appendChild(details);
    }
    return box;
  }

  function renderPaths(paths) {
    list.textContent = "";
    count.textContent = String(paths.length);
    paths.forEach(function (path, index) {
      var item = el("li", "path");
      item.setAttribute("data-nodes", path.nodes.join(" "));
      var head = el("div", "path-head");
      head.setAttribute("role", "button");
      head.tabIndex = 0;
      head.appendChild(el("h3", "", "Path " + (index + 1) + " · " + path.length + (path.length === 1 ? " step" : " steps")));
      head.appendChild(el("span", "path-route", path.labels.join(" → ")));
      head.addEventListener("click", function () { choose(index); });
      head.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(index); }
      });
      item.appendChild(head);
      var steps = el("ol", "steps");
      path.steps.forEach(function (step) {
        var li = el("li", "step");
        var line = el("div", "step-line");
        line.appendChild(personLink(step.source, step.source_label));
        line.appendChild(el("span", "arrow", "—"));
        line.appendChild(personLink(step.target, step.target_label));
        li.appendChild(line);
        step.ties.forEach(function (tie) { li.appendChild(renderStepTie(tie, index === 0)); });
        steps.appendChild(li);
      });
      item.appendChild(steps);
      list.appendChild(item);
    });
  }

  function draw(data) {
    var elements = (data && data.elements) || { nodes: [], edges: [] };
    var from = config.from.id, to = config.to.id;
    elements.nodes.forEach(function (n) {
      if (n.data.id === from || n.data.id === to) { n.classes = "end"; }
    });
    canvas.textContent = "";
    var cy = G.create(canvas, elements, {
      layout: {
        name: "breadthfirst", roots: [from], directed: false, animate: false, padding: 30,
        spacingFactor: 1.1,
        transform: function (node, pos) { return { x: pos.y * 1.6, y: pos.x * 0.75 }; }
      },
      onNode: function (node) {
        var href = G.localHref(node.id, root);
        if (href) { window.location.href = href; }
      },
      onEdge: function (tie, edge) {
        G.showTie(side, tie, root);
        state.cy.edges().removeClass("chosen");
        edge.addClass("chosen");
      }
    });
    state.cy = cy;
    if (cy) {
      cy.on("tap", function (event) { if (event.target === cy) { resetSide(); choose(-1); state.chosen = -1; } });
    }
    canvas.setAttribute("data-nodes", elements.nodes.map(function (n) { return n.data.id; }).join(" "));
    canvas.setAttribute("data-state", cy ? "ready" : "missing-library");
  }

  function load() {
    if (!config.from || !config.to) { return; }
    var params = new URLSearchParams();
    params.set("from", config.from.id);
    params.set("to", config.to.id);
    params.set("max", String(config.max || 4));
    params.set("k", String(K));
    if (config.kind) { params.set("kind", config.kind); }
    if (config.min_certainty) { params.set("min_certainty", config.min_certainty); }
    params.set("format", "cytoscape");
    status.textContent = "Looking for paths…";
    fetch(root + "/network/path?" + params.toString(), { headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (text) { throw new Error(text || response.statusText); });
        }
        return response.json();
      })
      .then(function (data) {
        state.paths = data.paths || [];
        draw(data);
        renderPaths(state.paths);
        var n = state.paths.length;
        status.textContent = n
          ? (n >= K ? "The " + K + " shortest paths" : n + (n === 1 ? " path" : " paths")) +
            " between " + config.from.label + " and " + config.to.label + ", at most " + config.max + " steps."
          : "No path of at most " + config.max + " steps between " + config.from.label + " and " +
            config.to.label + " with these filters.";
      })
      .catch(function (error) {
        canvas.setAttribute("data-state", "error");
        status.textContent = "The paths could not be loaded: " + String(error.message || error).trim();
      });
  }

  load();
})();

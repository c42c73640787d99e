// A person page's network panel: GET /network/ego?person=&hops=&kind=&min_certainty=&since=
// &until=&format=cytoscape, drawn with ShezhireGraph; the controls re-query. Clicking a tie
// shows its evidence in the side panel; clicking a person opens their page. The cytoscape
// instance is window.shezhireNetwork; the canvas carries data-state and data-nodes.
(function () {
  "use strict";
  var G = window.ShezhireGraph;
  var form = document.getElementById("net-controls");
  var canvas = document.getElementById("net-canvas");
  var side = document.getElementById("net-side");
  var status = document.getElementById("net-status");
  if (!G || !form || !canvas) { return; }
  var person = form.getAttribute("data-person");
  var root = form.getAttribute("data-root") || "";
  var endpoint = form.getAttribute("data-endpoint");
  var hint = side ? side.cloneNode(true) : null;
  var sequence = 0;
  var DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;

  function params() {
    var data = new FormData(form);
    var out = new URLSearchParams();
    out.set("person", person);
    out.set("hops", data.get("hops") || "1");
    if (data.get("kind")) { out.set("kind", data.get("kind")); }
    if (data.get("min_certainty")) { out.set("min_certainty", data.get("min_certainty")); }
    ["since", "until"].forEach(function (name) {
      var value = String(data.get(name) || "").trim();
      if (value && DATE.test(value)) { out.set(name, value); }
    });
    out.set("format", "cytoscape");
    return out;
  }

  function badDates() {
    var bad = [];
    ["since", "until"].forEach(function (name) {
      var input = form.elements[name];
      var value = input ? input.value.trim() : "";
      var wrong = value !== "" && !DATE.test(value);
      if (input) { input.classList.toggle("invalid", wrong); }
      if (wrong) { bad.push(name); }
    });
    return bad;
  }

  function resetSide() {
    if (side && hint) {
      side.textContent = "";
      Array.prototype.forEach.call(hint.childNodes, function (n) { side.appendChild(n.cloneNode(true)); });
      side.removeAttribute("data-tie");
    }
  }

  // Rings by distance first (deterministic), then a force-directed pass from there that
  // pulls each person's own ties together.
  var RINGS = {
    name: "concentric",
    animate: false,
    concentric: function (node) { return 10 - (node.data("distance") || 0); },
    levelWidth: function () { return 1; },
    minNodeSpacing: 40,
    padding: 16
  };
  var FORCES = {
    name: "cose", animate: false, randomize: false, fit: true, padding: 16, numIter: 2500,
    nodeRepulsion: function () { return 120000; }, idealEdgeLength: function () { return 60; },
    edgeElasticity: function () { return 100; }, nodeOverlap: 20, gravity: 1
  };

  function draw(data, hops) {
    var elements = (data && data.elements) || { nodes: [], edges: [] };
    elements.nodes.forEach(function (n) {
      if (n.data.id === person) { n.classes = "center"; }
    });
    if (window.shezhireNetwork) { window.shezhireNetwork.destroy(); window.shezhireNetwork = null; }
    canvas.textContent = "";
    var cy = G.create(canvas, elements, {
      layout: RINGS,
      onNode: function (node) {
        if (node.id === person) { return; }
        var href = G.localHref(node.id, root);
        if (href) { window.location.href = href; }
      },
      onEdge: function (tie, edge) {
        if (!side) { return; }
        G.showTie(side, tie, root);
        cy.edges().removeClass("chosen");
        edge.addClass("chosen");
      }
    });
    window.shezhireNetwork = cy;
    if (cy && elements.nodes.length > 2) { cy.layout(FORCES).run(); }
    if (cy) {
      cy.on("tap", function (event) {
        if (event.target === cy) { cy.edges().removeClass("chosen"); resetSide(); }
      });
    }
    var persons = elements.nodes.length;
    var ties = elements.edges.length;
    canvas.setAttribute("data-nodes", elements.nodes.map(function (n) { return n.data.id; }).join(" "));
    canvas.setAttribute("data-state", cy ? "ready" : "missing-library");
    if (status) {
      status.textContent = ties
        ? persons + " persons, " + ties + (ties === 1 ? " tie" : " ties") + " (within " + hops + (hops === 1 ? " step)" : " steps)")
        : "No tie passes these filters.";
    }
  }

  function load() {
    var bad = badDates();
    if (bad.length) {
      if (status) { status.textContent = "Dates are YYYY, YYYY-MM or YYYY-MM-DD (" + bad.join(", ") + ")."; }
      return;
    }
    var query = params();
    var hops = Number(query.get("hops"));
    var mine = ++sequence;
    canvas.setAttribute("data-state", "loading");
    if (status) { status.textContent = "Loading the network…"; }
    fetch(endpoint + "?" + query.toString(), { headers: { "Accept": "application/vnd.cytoscape+json, application/json" } })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (text) { throw new Error(text || response.statusText); });
        }
        return response.json();
      })
      .then(function (data) {
        if (mine !== sequence) { return; }
        resetSide();
        draw(data, hops);
      })
      .catch(function (error) {
        if (mine !== sequence) { return; }
        canvas.setAttribute("data-state", "error");
        if (status) { status.textContent = "The network could not be loaded: " + String(error.message || error).trim(); }
      });
  }

  form.addEventListener("change", load);
  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  load();
})();

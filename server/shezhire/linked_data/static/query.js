// The query page, on YASGUI (@zazuko/yasgui, served from /assets/): the YASQE editor
// (highlighting, inline syntax errors, completion of prefixes, classes and properties of this
// graph from /query-ui/completions: nothing is asked of prefix.cc or LOV) and YASR results (a
// paginated table, the raw response, a graph view of CONSTRUCT/DESCRIBE results drawn with
// cytoscape, and a bar chart of aggregate SELECT results drawn with Chart.js, shz-chart.js,
// chosen for the results it fits). The example queries come from the server; the page address
// holds the query (#query=...), CSV and JSON downloads are built from the answer, and the
// endpoint's error message goes in a compact box with its line and column.
// window.shezhireQuery = {yasqe, yasr}.
(function () {
  "use strict";
  var BASE = "https://w3id.org/shezhire/";
  var config = JSON.parse(document.getElementById("page-config").textContent);
  var examples = JSON.parse(document.getElementById("examples-data").textContent);
  var initial = JSON.parse(document.getElementById("initial-query").textContent);
  var root = config.root || "";
  var status = document.getElementById("status");
  var tools = document.getElementById("result-tools");
  var G = window.ShezhireGraph;
  var Yasgui = window.Yasgui;
  var el = G.el;
  var LOCAL_NAME = /^[A-Za-z_][\w.-]*$/;
  var MAX_GRAPH_TRIPLES = 1500;
  var state = { yasqe: null, yasr: null, queryType: "", errorLine: null, vocab: null };
  window.shezhireQuery = state;

  function queryFromUrl() {
    var hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    if (hash.get("query")) { return hash.get("query"); }
    var search = new URLSearchParams(window.location.search);
    return search.get("query") || "";
  }

  function shareLink(query) {
    return window.location.origin + window.location.pathname + "#query=" + encodeURIComponent(query);
  }

  function starter(declared) {
    var lines = Object.keys(declared).map(function (p) { return "PREFIX " + p + ": <" + declared[p] + ">"; });
    return lines.join("\n") + "\n\n# Persons and their names: press Ctrl+Space after \"shz:\" for the classes and properties\n" +
      "SELECT ?person ?name WHERE {\n  ?person a shz:Person ;\n          rdfs:label ?name .\n}\nORDER BY ?name\nLIMIT 50\n";
  }

  function markExample(name) {
    Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (b) {
      b.classList.toggle("on", b.getAttribute("data-name") === name);
    });
  }

  // -- completion from this graph --------------------------------------------------------------

  function curieOf(iri, prefixes) {
    var best = null;
    Object.keys(prefixes).forEach(function (p) {
      var ns = prefixes[p];
      if (iri.indexOf(ns) === 0 && LOCAL_NAME.test(iri.slice(ns.length)) && (!best || ns.length > prefixes[best].length)) {
        best = p;
      }
    });
    return best;
  }

  function iriCompleter(name, iris, prefixes) {
    return {
      name: name,
      persistenceId: null,
      bulk: false,
      get: function (yasqe, token) {
        var typed = String((token && token.autocompletionString) || "").replace(/^</, "");
        var lower = typed.toLowerCase();
        var byStart = iris.filter(function (iri) { return iri.toLowerCase().indexOf(lower) === 0; });
        var found = byStart.length || typed.indexOf(":") >= 0 ? byStart : iris.filter(function (iri) {
          var local = iri.replace(/^.*[#/]/, "").toLowerCase();
          return local.indexOf(lower) >= 0;
        });
        found.sort(function (a, b) {
          var ours = (b.indexOf(BASE) === 0) - (a.indexOf(BASE) === 0);
          return ours || (a < b ? -1 : a > b ? 1 : 0);
        });
        return Promise.resolve(found.slice(0, 60));
      },
      postProcessSuggestion: function (yasqe, token, suggestion) {
        if (token.tokenPrefix && token.tokenPrefixUri && suggestion.indexOf(token.tokenPrefixUri) === 0) {
          return token.tokenPrefix + suggestion.slice(token.tokenPrefixUri.length);
        }
        var declared = yasqe.getPrefixesFromQuery();
        var p = curieOf(suggestion, declared) || curieOf(suggestion, prefixes);
        if (p) {
          var ns = declared[p] || prefixes[p];
          return p + ":" + suggestion.slice(ns.length);
        }
        return "<" + suggestion + ">";
      },
      // A suggestion in a namespace of this graph that the query does not declare yet: picking
      // it declares the prefix too.
      postprocessHints: function (yasqe, hints) {
        var declared = yasqe.getPrefixesFromQuery();
        hints.forEach(function (hint) {
          var m = /^([A-Za-z][\w-]*):/.exec(hint.text);
          if (!m || declared[m[1]] || !prefixes[m[1]]) { return; }
          hint.hint = function (cm, data, completion) {
            cm.replaceRange(completion.text, completion.from || data.from, completion.to || data.to, "complete");
            var add = {};
            add[m[1]] = prefixes[m[1]];
            yasqe.addPrefixes(add);
          };
        });
        return hints;
      }
    };
  }

  function registerCompleters(Yasqe, vocab) {
    var prefixes = vocab.prefixes || {};
    var bundled = Yasqe.Autocompleters.prefixes;
    Yasqe.forkAutocompleter("prefixes", {
      name: "shzPrefixes",
      persistenceId: null,
      get: function (yasqe) {
        var ours = Object.keys(prefixes).map(function (p) { return p + ": <" + prefixes[p] + ">"; });
        return Promise.resolve(bundled.get(yasqe)).then(function (list) {
          // The prefixes bundled with YASQE (a local copy), less those this graph defines.
          return ours.concat((list || []).filter(function (line) { return !(line.split(":")[0] in prefixes); }));
        }, function () { return ours; });
      }
    }, false);
    Yasqe.forkAutocompleter("class", iriCompleter("shzClasses", vocab.classes || [], prefixes), false);
    Yasqe.forkAutocompleter("property", iriCompleter("shzProperties", vocab.properties || [], prefixes), false);
    Yasqe.defaults.autocompleters = ["variables", "shzPrefixes", "shzClasses", "shzProperties"];
    Yasqe.defaults.prefixCcApi = null;
  }

  // -- a YASR view of CONSTRUCT/DESCRIBE results, drawn with cytoscape --------------------------

  var LABELS = [
    "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
    "https://schema.org/name", "http://xmlns.com/foaf/0.1/name"
  ];

  function GraphPlugin(yasr) {
    this.yasr = yasr;
    this.priority = 5;
    this.label = "Graph";
  }
  GraphPlugin.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    if (!results || results.getError()) { return false; }
    try { return results.getType() === "ttl"; } catch (error) { return false; }
  };
  GraphPlugin.prototype.getIcon = function () {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "yasr-graph-icon");
    [["6", "6"], ["18", "8"], ["10", "18"]].forEach(function (c) {
      var circle = document.createElementNS(ns, "circle");
      circle.setAttribute("cx", c[0]); circle.setAttribute("cy", c[1]); circle.setAttribute("r", "3");
      svg.appendChild(circle);
    });
    [["6", "6", "18", "8"], ["6", "6", "10", "18"], ["18", "8", "10", "18"]].forEach(function (l) {
      var line = document.createElementNS(ns, "line");
      line.setAttribute("x1", l[0]); line.setAttribute("y1", l[1]); line.setAttribute("x2", l[2]); line.setAttribute("y2", l[3]);
      line.setAttribute("stroke", "currentColor"); line.setAttribute("stroke-width", "1.5");
      svg.appendChild(line);
    });
    var wrap = document.createElement("div");
    wrap.appendChild(svg);
    return wrap;
  };
  GraphPlugin.prototype.draw = function () {
    var prefixes = (state.vocab && state.vocab.prefixes) || {};
    var short = function (iri) { var p = curieOf(iri, prefixes); return p ? p + ":" + iri.slice(prefixes[p].length) : iri; };
    var bindings = this.yasr.results.getBindings();
    var info = el("p", "yasr-graph-info");
    var box = el("div", "yasr-graph");
    this.yasr.resultsEl.appendChild(info);
    this.yasr.resultsEl.appendChild(box);
    var nodes = {}, edges = [], labels = {}, literal = 0;
    function node(term) {
      var id = term.type === "bnode" ? "_:" + term.value : term.value;
      if (!nodes[id]) { nodes[id] = { data: { id: id, iri: term.type === "uri" ? term.value : "" } }; }
      return id;
    }
    var shown = bindings.slice(0, MAX_GRAPH_TRIPLES);
    shown.forEach(function (b) {
      if (b.object.type === "literal" && LABELS.indexOf(b.predicate.value) >= 0) {
        labels[b.subject.value] = labels[b.subject.value] || b.object.value;
      }
    });
    shown.forEach(function (b, i) {
      var s = node(b.subject);
      var o;
      if (b.object.type === "literal") {
        if (LABELS.indexOf(b.predicate.value) >= 0) { return; }
        o = "lit:" + (literal++);
        var text = b.object.value.length > 60 ? b.object.value.slice(0, 57) + "…" : b.object.value;
        nodes[o] = { data: { id: o, label: text, literal: true }, classes: "literal" };
      } else {
        o = node(b.object);
      }
      edges.push({ data: { id: "t" + i, source: s, target: o, label: short(b.predicate.value), predicate: b.predicate.value }, classes: "rdf" });
    });
    Object.keys(nodes).forEach(function (id) {
      var d = nodes[id].data;
      if (!d.literal) { d.label = labels[d.iri] || (d.iri ? short(d.iri) : id); }
    });
    var list = Object.keys(nodes).map(function (id) { return nodes[id]; });
    info.textContent = bindings.length + " triples, " + list.length + " nodes" +
      (bindings.length > shown.length ? " (the first " + shown.length + " triples are drawn)" : "") +
      ". Click a node to see its IRI.";
    var cy = G.create(box, { nodes: list, edges: edges }, {
      layout: { name: "concentric", animate: false, minNodeSpacing: 30 },
      onNode: function (data) {
        info.textContent = "";
        if (data.iri) {
          info.appendChild(document.createTextNode((data.label || "") + " — "));
          info.appendChild(G.link(data.iri, data.iri, root));
        } else {
          info.textContent = data.literal ? "Literal: " + data.label : "Blank node " + data.id;
        }
      },
      onEdge: function (data) {
        info.textContent = "";
        info.appendChild(document.createTextNode("Property: "));
        info.appendChild(G.link(data.predicate, data.label, root));
      }
    });
    state.graph = cy;
    if (cy && list.length > 2) { // rings first (deterministic), then forces from there
      cy.layout({ name: "cose", animate: false, randomize: false, padding: 16, numIter: 2500,
        nodeRepulsion: function () { return 200000; }, idealEdgeLength: function () { return 70; },
        edgeElasticity: function () { return 100; }, nodeOverlap: 20, gravity: 1 }).run();
    }
  };
  GraphPlugin.prototype.download = function () {
    var results = this.yasr.results;
    return {
      contentType: "text/turtle",
      getData: function () { return results.getOriginalResponseAsString(); },
      filename: "shezhire-query.ttl",
      title: "Download Turtle"
    };
  };
  GraphPlugin.prototype.destroy = function () {
    if (state.graph) { state.graph.destroy(); state.graph = null; }
  };

  // Whether the SELECT answer is one a bar chart shows (shz-chart.js): one label column and
  // one or more numeric ones, as GROUP BY counts give; decided before YASR draws it.
  function chartable(response) {
    var C = window.ShezhireChart;
    if (!C || !window.Chart || !response || !response.ok || typeof response.content !== "string" ||
        response.content.length > 2000000) { return false; }
    try { return C.fits(JSON.parse(response.content)); } catch (error) { return false; }
  }

  // -- errors ----------------------------------------------------------------------------------

  function clearErrorLine() {
    if (state.yasqe && state.errorLine !== null) {
      state.yasqe.removeLineClass(state.errorLine, "background", "error-line");
    }
    state.errorLine = null;
  }

  function errorBox(error) {
    var text = String((error && (error.text || error.statusText)) || "The query failed.").trim();
    if (text.length > 800) { text = text.slice(0, 800) + " …"; }
    var box = el("div", "query-error");
    box.setAttribute("role", "alert");
    var where = /(?:at|line)\s+(\d+):(\d+)/.exec(text);
    if (where && state.yasqe) {
      var line = Number(where[1]) - 1, column = Number(where[2]) - 1;
      box.appendChild(el("span", "where", "Line " + where[1] + ", column " + where[2]));
      if (line >= 0 && line < state.yasqe.lineCount()) {
        clearErrorLine();
        state.errorLine = line;
        state.yasqe.addLineClass(line, "background", "error-line");
      }
      box.appendChild(el("code", "", text));
      var go = el("button", "plain", "Show in the editor");
      go.type = "button";
      go.addEventListener("click", function () {
        state.yasqe.focus();
        state.yasqe.setCursor({ line: line, ch: Math.max(column, 0) });
      });
      box.appendChild(go);
    } else {
      box.appendChild(el("code", "", text));
    }
    if (status) { status.textContent = "error"; }
    return box;
  }

  // -- downloads -------------------------------------------------------------------------------

  function download(text, type, name) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function updateTools(results, graph) {
    tools.hidden = !results || !!results.getError();
    if (tools.hidden) { return; }
    var ask = typeof results.getBoolean() === "boolean";
    document.getElementById("download-csv").hidden = ask;
    document.getElementById("download-json").hidden = graph;
    document.getElementById("download-ttl").hidden = !graph;
  }

  // -- the page --------------------------------------------------------------------------------

  function localLinks(container) {
    function rewrite(a) {
      var href = a.getAttribute("href") || "";
      if (href.indexOf(BASE) === 0) {
        a.setAttribute("title", href);
        a.setAttribute("href", root + "/" + href.slice(BASE.length));
        a.removeAttribute("target");
      }
    }
    new MutationObserver(function () {
      Array.prototype.forEach.call(container.querySelectorAll("a[href^='" + BASE + "']"), rewrite);
    }).observe(container, { childList: true, subtree: true });
  }

  function start(vocab) {
    state.vocab = vocab;
    var Yasqe = Yasgui.Yasqe;
    var Yasr = Yasgui.Yasr;
    registerCompleters(Yasqe, vocab);
    Yasr.registerPlugin("graph", GraphPlugin);
    if (window.ShezhireChart && window.Chart) { Yasr.registerPlugin("chart", window.ShezhireChart.Plugin); }
    if (Yasr.plugins.table && Yasr.plugins.table.defaults) { Yasr.plugins.table.defaults.openIriInNewWindow = false; }

    var fromUrl = queryFromUrl();
    var value = fromUrl || (config.example ? initial : starter(vocab.declared || {}));
    var yasqe = new Yasqe(document.getElementById("yasqe"), {
      value: value,
      persistenceId: null,
      editorHeight: "260px",
      resizeable: true,
      requestConfig: {
        endpoint: window.location.origin + config.endpoint,
        method: "POST",
        acceptHeaderSelect: "application/sparql-results+json",
        acceptHeaderGraph: "text/turtle"
      },
      createShareableLink: function (y) { return shareLink(y.getValue()); },
      consumeShareLink: function (y) {
        var q = queryFromUrl();
        if (q && q !== y.getValue()) { y.setValue(q); }
      }
    });
    var yasr = new Yasr(document.getElementById("yasr"), {
      persistenceId: null,
      prefixes: vocab.prefixes || {},
      pluginOrder: ["table", "chart", "graph", "response"],
      defaultPlugin: "table",
      getDownloadFileName: function () { return "shezhire-query"; },
      errorRenderers: [function (error) { return Promise.resolve(errorBox(error)); }]
    });
    state.yasqe = yasqe;
    state.yasr = yasr;
    localLinks(document.getElementById("yasr"));
    if (config.example) { markExample(config.example); }

    yasqe.on("query", function () {
      state.queryType = yasqe.getQueryType();
      clearErrorLine();
      if (status) { status.textContent = "running…"; }
      tools.hidden = true;
      document.getElementById("yasr").removeAttribute("data-rows");
      try { window.history.replaceState(null, "", "#query=" + encodeURIComponent(yasqe.getValue())); } catch (e) { /* ignore */ }
    });
    yasqe.on("queryResponse", function (instance, response, duration) {
      var graph = state.queryType === "CONSTRUCT" || state.queryType === "DESCRIBE";
      yasr.selectedPlugin = graph ? "graph" : chartable(response) ? "chart" : "table";
      yasr.setResponse(response, duration);
      var results = yasr.results;
      updateTools(results, graph);
      if (!results || results.getError()) { return; }
      var ms = Math.round(duration || 0);
      if (typeof results.getBoolean() === "boolean") {
        status.textContent = "ASK answered " + results.getBoolean() + " in " + ms + " ms";
        return;
      }
      var n = results.getBindings().length;
      document.getElementById("yasr").setAttribute("data-rows", String(n));
      status.textContent = graph
        ? n + (n === 1 ? " triple" : " triples") + " in " + ms + " ms"
        : n + (n === 1 ? " row" : " rows") + " in " + ms + " ms";
    });

    Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (button) {
      button.addEventListener("click", function () {
        var name = button.getAttribute("data-name");
        examples.forEach(function (e) { if (e.name === name) { yasqe.setValue(e.query); } });
        markExample(name);
        try { window.history.replaceState(null, "", window.location.pathname + "?example=" + encodeURIComponent(name)); } catch (e) { /* ignore */ }
        yasqe.focus();
      });
    });
    document.getElementById("new-query").addEventListener("click", function () {
      yasqe.setValue(starter(vocab.declared || {}));
      markExample("");
      try { window.history.replaceState(null, "", window.location.pathname); } catch (e) { /* ignore */ }
      yasqe.focus();
    });
    document.getElementById("copy-link").addEventListener("click", function () {
      var link = shareLink(yasqe.getValue());
      try { window.history.replaceState(null, "", link); } catch (e) { /* ignore */ }
      var done = function () { status.textContent = "The page address now holds the query; link copied."; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(link).then(done, function () { status.textContent = "The page address now holds the query."; });
      } else {
        status.textContent = "The page address now holds the query.";
      }
    });
    document.getElementById("download-csv").addEventListener("click", function () {
      if (yasr.results) { download(yasr.results.asCsv(), "text/csv", "shezhire-query.csv"); }
    });
    document.getElementById("download-json").addEventListener("click", function () {
      if (yasr.results) { download(yasr.results.getOriginalResponseAsString(), "application/sparql-results+json", "shezhire-query.json"); }
    });
    document.getElementById("download-ttl").addEventListener("click", function () {
      if (yasr.results) { download(yasr.results.getOriginalResponseAsString(), "text/turtle", "shezhire-query.ttl"); }
    });

    document.body.setAttribute("data-query-ready", "true");
    if (config.autorun && yasqe.getValue().trim()) { yasqe.query().catch(function () {}); }
  }

  if (!Yasgui || !Yasgui.Yasqe || !G) {
    if (status) { status.textContent = "The query editor did not load (see the server's set-up); the endpoint is " + config.endpoint + "."; }
    return;
  }
  fetch(root + "/query-ui/completions", { headers: { "Accept": "application/json" } })
    .then(function (response) { return response.ok ? response.json() : {}; })
    .catch(function () { return {}; })
    .then(start);
})();

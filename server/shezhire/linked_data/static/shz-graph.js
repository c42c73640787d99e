// Drawing person networks with cytoscape (loaded before this file, from /assets/): one style
// for the person pages, the connection page and the query page's graph view, and the evidence
// panel of a tie. Ties are coloured by kind (kin, social), their line says how sure the author
// is (solid: certain, dashed: probable, dotted: possible or uncertain), and their label is
// the tie type. Data is written with textContent only, never as markup.
(function () {
  "use strict";
  var BASE = "https://w3id.org/shezhire/";
  var COLOURS = { kin: "#b4562b", social: "#2d69b0", other: "#6b7385" };
  var CERTAINTY = ["certain", "probable", "possible", "uncertain"];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null && text !== "") { node.textContent = String(text); }
    return node;
  }

  function localHref(iri, root) {
    if (typeof iri !== "string") { return null; }
    if (iri.indexOf(BASE) === 0) { return (root || "") + "/" + iri.slice(BASE.length); }
    if (/^https?:\/\//i.test(iri)) { return iri; }
    return null;
  }

  function link(iri, text, root) {
    var href = localHref(iri, root);
    if (!href) { return el("span", "", text || iri); }
    var a = el("a", href.indexOf("/") === 0 ? "" : "ext", text || iri);
    a.href = href;
    if (iri) { a.title = iri; }
    return a;
  }

  function style() {
    return [
      { selector: "node", style: {
        "label": "data(label)", "font-size": 11, "font-family": "system-ui, 'DejaVu Sans', sans-serif",
        "color": "#1d2433", "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap",
        "text-max-width": 150, "width": 22, "height": 22, "background-color": "#d9e4ee",
        "border-width": 1.5, "border-color": "#12324a", "text-background-color": "#ffffff",
        "text-background-opacity": 0.75, "text-background-padding": 1
      } },
      { selector: "node.center, node.end", style: {
        "background-color": "#e3b23c", "border-color": "#7a5a05", "border-width": 2.5,
        "width": 34, "height": 34, "font-size": 13, "font-weight": "bold"
      } },
      { selector: "node[?pseudonym]", style: {
        "border-style": "dashed", "border-color": "#7a5a05", "background-color": "#fbf3dc"
      } },
      { selector: "node[?unnamed]", style: {
        "background-color": "#eef0f4", "color": "#5d6679", "font-style": "italic", "border-color": "#8a93a6"
      } },
      { selector: "node.literal", style: {
        "shape": "round-rectangle", "background-color": "#f7f8fa", "border-color": "#c9cfdb",
        "width": 14, "height": 14, "color": "#3b3f4a", "font-style": "italic"
      } },
      { selector: "node.center[?pseudonym], node.end[?pseudonym]", style: { "background-color": "#e3b23c" } },
      { selector: "edge", style: {
        "curve-style": "bezier", "control-point-step-size": 36, "width": 2.2,
        "line-color": COLOURS.other, "target-arrow-color": COLOURS.other,
        "target-arrow-shape": "triangle", "arrow-scale": 0.8,
        "label": "data(type_label)", "font-size": 10, "text-rotation": "autorotate",
        "color": "#3b3f4a", "text-background-color": "#ffffff", "text-background-opacity": 0.85,
        "text-background-padding": 2
      } },
      { selector: "edge[kind = 'kin']", style: { "line-color": COLOURS.kin, "target-arrow-color": COLOURS.kin, "color": "#7a3211" } },
      { selector: "edge[kind = 'social']", style: { "line-color": COLOURS.social, "target-arrow-color": COLOURS.social, "color": "#1d4a80" } },
      { selector: "edge[certainty = 'certain']", style: { "line-style": "solid", "width": 2.6 } },
      { selector: "edge[certainty = 'probable']", style: { "line-style": "dashed", "line-dash-pattern": [7, 4] } },
      { selector: "edge[certainty = 'possible']", style: { "line-style": "dotted" } },
      { selector: "edge[certainty = 'uncertain']", style: { "line-style": "dotted", "opacity": 0.6, "width": 1.6 } },
      { selector: "edge.rdf", style: { "label": "data(label)", "line-color": "#8a93a6", "target-arrow-color": "#8a93a6" } },
      { selector: ".dim", style: { "opacity": 0.18 } },
      { selector: "edge.chosen", style: { "width": 5, "z-index": 10 } },
      { selector: "node:selected", style: { "overlay-color": "#0a6e8a", "overlay-opacity": 0.15 } },
      { selector: "edge:selected", style: { "overlay-color": "#0a6e8a", "overlay-opacity": 0.18 } }
    ];
  }

  // create(container, elements, options): a cytoscape instance, or null (with a message in
  // the container) when the library did not load.
  function create(container, elements, options) {
    options = options || {};
    if (typeof window.cytoscape !== "function") {
      container.textContent = "";
      container.appendChild(el("p", "net-missing",
        "The network cannot be drawn: the graph library did not load (see the server's set-up)."));
      return null;
    }
    // cytoscape adds a <style> element (".__________cytoscape_container { position: relative; }")
    // unless one with its id exists: the page's CSP forbids inline styles, and ui.css has the rule.
    if (!document.getElementById("__________cytoscape_stylesheet")) {
      var marker = document.createElement("meta");
      marker.id = "__________cytoscape_stylesheet";
      marker.name = "cytoscape-stylesheet";
      marker.content = "ui.css";
      document.head.appendChild(marker);
    }
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      style: style(),
      layout: options.layout || { name: "cose", animate: false },
      minZoom: 0.2,
      maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false
    });
    if (options.onNode) {
      cy.on("tap", "node", function (event) { options.onNode(event.target.data(), event.target); });
    }
    if (options.onEdge) {
      cy.on("tap", "edge", function (event) { options.onEdge(event.target.data(), event.target); });
    }
    cy.on("mouseover", "node, edge", function () { container.classList.add("pointing"); });
    cy.on("mouseout", "node, edge", function () { container.classList.remove("pointing"); });
    return cy;
  }

  function citation(c, root) {
    var figure = el("figure", "cite");
    if (c.quote) { figure.appendChild(el("blockquote", "quote", c.quote)); }
    var caption = el("figcaption");
    if (c.publication) {
      var pub = el("span", "pub");
      pub.appendChild(link(c.publication, c.publication_label || c.publication, root));
      caption.appendChild(pub);
    }
    if (c.footnote) { caption.appendChild(el("span", "loc", "footnote " + c.footnote)); }
    if (c.page) { caption.appendChild(el("span", "loc", "p. " + c.page)); }
    if (c.section) { caption.appendChild(el("span", "loc", "§ “" + c.section + "”")); }
    (c.archival_references || []).forEach(function (r) {
      var line = el("div", "archref");
      line.appendChild(el("span", "archref-label", "archival reference as printed: "));
      line.appendChild(link(r.reference, r.printed_citation || r.reference, root));
      if (r.item) {
        line.appendChild(document.createTextNode(" — "));
        line.appendChild(link(r.item, r.item_label || r.item, root));
        if (r.folios) { line.appendChild(document.createTextNode(", fol. " + r.folios)); }
      }
      caption.appendChild(line);
    });
    figure.appendChild(caption);
    return figure;
  }

  function tieFacts(tie) {
    var facts = el("p", "tie-facts");
    var kind = el("span", "tie-kind tie-" + (tie.kind || "other"), tie.kind || "tie");
    facts.appendChild(kind);
    if (tie.type_label || tie.type) { facts.appendChild(el("span", "tie-type", tie.type_label || tie.type)); }
    if (tie.mode) { facts.appendChild(el("span", "tie-mode", tie.mode)); }
    if (tie.certainty) {
      facts.appendChild(el("span", "cert-badge cert-" + tie.certainty, tie.certainty));
    }
    if (tie.date) { facts.appendChild(el("span", "tie-date", tie.date)); }
    return facts;
  }

  // The evidence of one tie (an edge's data or a path step's tie), into `panel`.
  function showTie(panel, tie, root) {
    panel.textContent = "";
    panel.appendChild(el("h3", "tie-title", tie.label || ((tie.source || "") + " → " + (tie.target || ""))));
    panel.appendChild(tieFacts(tie));
    if (tie.comment) { panel.appendChild(el("p", "tie-comment", tie.comment)); }
    var citations = tie.citations || [];
    panel.appendChild(el("h4", "", citations.length ? "Evidence (" + citations.length + ")" : "No citation recorded"));
    citations.forEach(function (c) { panel.appendChild(citation(c, root)); });
    var iri = tie.tie || tie.id;
    if (typeof iri === "string" && iri.indexOf(BASE) === 0) {
      var more = el("p", "tie-more");
      more.appendChild(link(iri, "The tie's own page →", root));
      panel.appendChild(more);
    }
    panel.setAttribute("data-tie", String(iri || ""));
  }

  window.ShezhireGraph = {
    BASE: BASE,
    CERTAINTY: CERTAINTY,
    el: el,
    localHref: localHref,
    link: link,
    style: style,
    create: create,
    citation: citation,
    tieFacts: tieFacts,
    showTie: showTie
  };
})();

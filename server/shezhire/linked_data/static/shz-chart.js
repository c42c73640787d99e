// A YASR view ("Chart") of aggregate SELECT results as a bar chart, drawn with Chart.js (served
// from /assets/, never a CDN): one label column and one or more numeric columns, such as
// SELECT ?type (COUNT(*) AS ?n) ... GROUP BY ?type. One bar per row (one colour per numeric
// column), horizontal so that long labels stay readable. Chart.js draws on a canvas and sets
// sizes through element.style only (no <style> element, no inline markup): the page's strict
// CSP holds. Labels are plain text: canvas text, and textContent for the caption.
// window.ShezhireChart = {Plugin, shape, fits}; query.js registers the plugin and picks it for
// the results it fits.
(function () {
  "use strict";
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = [
    "integer", "decimal", "float", "double", "long", "int", "short", "byte",
    "nonNegativeInteger", "nonPositiveInteger", "negativeInteger", "positiveInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"
  ].map(function (t) { return XSD + t; });
  var MAX_BARS = 100;
  var MAX_LABEL = 48;
  var COLOURS = ["#2d69b0", "#b4562b", "#3c8d5a", "#8a5fb0", "#c2962a", "#6b7385"];

  function numeric(term) {
    return !!term && term.type !== "uri" && term.type !== "bnode" && NUMERIC.indexOf(term.datatype) >= 0 &&
      isFinite(Number(term.value)) && String(term.value).trim() !== "";
  }

  // {label, values: [columns], rows} when the SPARQL JSON results fit a bar chart, else null:
  // 1..MAX_BARS rows, columns whose every bound value is a number, and exactly one other
  // column (bound at least once) for the labels.
  function shape(json) {
    var vars = json && json.head && json.head.vars;
    var rows = json && json.results && json.results.bindings;
    if (!vars || !rows || !rows.length || rows.length > MAX_BARS) { return null; }
    var label = [], values = [];
    vars.forEach(function (v) {
      var bound = rows.filter(function (r) { return r[v]; });
      if (!bound.length) { return; } // a column never bound plays no part
      (bound.every(function (r) { return numeric(r[v]); }) ? values : label).push(v);
    });
    if (label.length !== 1 || !values.length) { return null; }
    return { label: label[0], values: values, rows: rows };
  }

  function fits(json) { return shape(json) !== null; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function termText(term, prefixes) {
    if (!term) { return "(no value)"; }
    if (term.type === "bnode") { return "_:" + term.value; }
    if (term.type === "uri") {
      var best = "";
      Object.keys(prefixes).forEach(function (p) {
        var ns = prefixes[p];
        if (ns && term.value.indexOf(ns) === 0 && /^[\w.-]+$/.test(term.value.slice(ns.length)) &&
            (!best || ns.length > prefixes[best].length)) { best = p; }
      });
      return best ? best + ":" + term.value.slice(prefixes[best].length) : term.value;
    }
    return term.value;
  }

  function short(text) { return text.length > MAX_LABEL ? text.slice(0, MAX_LABEL - 1) + "…" : text; }

  function ChartPlugin(yasr) {
    this.yasr = yasr;
    this.priority = 7; // below the table: never the fallback of another view
    this.label = "Chart";
    this.chart = null;
  }
  ChartPlugin.prototype.shape = function () {
    var results = this.yasr.results;
    if (!results || results.getError() || !window.Chart) { return null; }
    try { return results.getType() === "json" ? shape(results.getAsJson()) : null; } catch (error) { return null; }
  };
  ChartPlugin.prototype.canHandleResults = function () { return this.shape() !== null; };
  ChartPlugin.prototype.getIcon = function () {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "yasr-chart-icon");
    [[3, 4, 12], [3, 10, 18], [3, 16, 8]].forEach(function (b) {
      var rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", String(b[0])); rect.setAttribute("y", String(b[1]));
      rect.setAttribute("width", String(b[2])); rect.setAttribute("height", "4");
      rect.setAttribute("fill", "currentColor");
      svg.appendChild(rect);
    });
    var wrap = document.createElement("div");
    wrap.appendChild(svg);
    return wrap;
  };
  ChartPlugin.prototype.draw = function () {
    var data = this.shape();
    if (!data) { return; }
    var prefixes = this.yasr.getPrefixes() || {};
    var labels = data.rows.map(function (r) { return termText(r[data.label], prefixes); });
    var datasets = data.values.map(function (v, i) {
      return {
        label: "?" + v,
        data: data.rows.map(function (r) { return r[v] ? Number(r[v].value) : null; }),
        backgroundColor: COLOURS[i % COLOURS.length],
        borderWidth: 0,
        maxBarThickness: 28
      };
    });
    var caption = el("p", "yasr-chart-info",
      data.rows.length + (data.rows.length === 1 ? " bar" : " bars") + ": " +
      data.values.map(function (v) { return "?" + v; }).join(", ") + " by ?" + data.label + ".");
    var box = el("div", "yasr-chart");
    var perRow = data.values.length > 1 ? 14 * data.values.length + 10 : 26;
    box.style.position = "relative";
    box.style.width = "100%";
    box.style.height = Math.max(160, data.rows.length * perRow + 70) + "px";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Bar chart of " + caption.textContent);
    box.appendChild(canvas);
    this.yasr.resultsEl.appendChild(caption);
    this.yasr.resultsEl.appendChild(box);
    var font = "system-ui, 'DejaVu Sans', sans-serif";
    this.chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { beginAtZero: true, ticks: { font: { family: font }, precision: 0 }, grid: { color: "#e3e7ee" } },
          y: {
            grid: { display: false },
            ticks: {
              autoSkip: false,
              font: { family: font, size: 12 },
              color: "#1d2433",
              callback: function (value, index) { return short(labels[index] || ""); }
            }
          }
        },
        plugins: {
          legend: { display: datasets.length > 1, labels: { font: { family: font } } },
          tooltip: { callbacks: { title: function (items) { return items.length ? labels[items[0].dataIndex] : ""; } } }
        }
      }
    });
    box.setAttribute("data-bars", String(data.rows.length));
  };
  ChartPlugin.prototype.destroy = function () {
    if (this.chart) { this.chart.destroy(); this.chart = null; }
  };

  window.ShezhireChart = { Plugin: ChartPlugin, shape: shape, fits: fits };
})();

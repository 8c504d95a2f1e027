// Draws a concept's neighbourhood as SVG: the concept in the middle, depth-1 neighbours on an
// inner ring, depth-2 on an outer ring. Edge width follows weight; clicking a node opens its
// page, clicking an edge lists the passages behind it. All text goes in through textContent.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 760, HEIGHT = 520;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function layout(data) {
    var cx = WIDTH / 2, cy = HEIGHT / 2, rings = {0: [], 1: [], 2: []}, pos = {};
    data.nodes.forEach(function (n) { rings[n.depth].push(n); });
    [0, 1, 2].forEach(function (depth) {
      var ring = rings[depth], radius = depth === 0 ? 0 : depth === 1 ? 150 : 235;
      ring.forEach(function (n, i) {
        var angle = (2 * Math.PI * i) / Math.max(ring.length, 1) - Math.PI / 2 + depth * 0.3;
        pos[n.iri] = {x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle)};
      });
    });
    return pos;
  }

  function edgeWidth(weight) {
    return Math.min(10, 1.5 + 2 * Math.log2(1 + weight));
  }

  function shortLabel(label) {
    return label.length > 24 ? label.slice(0, 23) + "…" : label;
  }

  function showPassages(panel, edge, labels, articleBase) {
    panel.textContent = "";
    var title = document.createElement("p");
    title.textContent = labels[edge.source] + " — " + edge.type + " — " + labels[edge.target] +
      " (" + edge.passage_count + " passage" + (edge.passage_count === 1 ? "" : "s") + ")";
    panel.appendChild(title);
    var list = document.createElement("ul");
    edge.passages.forEach(function (p) {
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = articleBase + encodeURIComponent(p.article_id) + "#p" + p.ordinal;
      link.textContent = p.title || p.article_id;
      item.appendChild(link);
      var text = document.createElement("span");
      text.textContent = " — " + p.text.slice(0, 160) + (p.text.length > 160 ? "…" : "");
      item.appendChild(text);
      list.appendChild(item);
    });
    panel.appendChild(list);
    panel.hidden = false;
  }

  function draw(container, data) {
    var pos = layout(data), labels = {};
    data.nodes.forEach(function (n) { labels[n.iri] = n.label; });
    var conceptBase = container.getAttribute("data-concept-base");
    var articleBase = container.getAttribute("data-article-base");
    var panel = document.getElementById("edge-passages");
    var svg = el("svg", {viewBox: "0 0 " + WIDTH + " " + HEIGHT, role: "img",
                         "aria-label": "Neighbourhood of " + labels[data.center]});
    var edges = el("g", {"class": "edges"}, svg), nodes = el("g", {"class": "nodes"}, svg);
    data.edges.forEach(function (e) {
      var a = pos[e.source], b = pos[e.target];
      if (!a || !b) return;
      var line = el("line", {x1: a.x, y1: a.y, x2: b.x, y2: b.y,
                             "class": "edge " + e.type.replace(/[^a-z-]/g, ""),
                             "stroke-width": edgeWidth(e.weight),
                             "data-weight": e.weight}, edges);
      el("title", {}, line).textContent = labels[e.source] + " " + e.type + " " +
        labels[e.target] + " (weight " + e.weight + ")";
      line.addEventListener("click", function () { showPassages(panel, e, labels, articleBase); });
    });
    data.nodes.forEach(function (n) {
      var p = pos[n.iri];
      var g = el("g", {"class": "node depth-" + n.depth + (n.depth === 0 ? " center" : ""),
                       tabindex: "0", role: "link", "data-iri": n.iri,
                       transform: "translate(" + p.x + "," + p.y + ")"}, nodes);
      el("circle", {r: n.depth === 0 ? 14 : 10}, g);
      el("text", {y: -18}, g).textContent = shortLabel(n.label);
      el("title", {}, g).textContent = n.label + (n.definition ? ": " + n.definition : "");
      var go = function () { window.location.href = conceptBase + encodeURIComponent(n.iri); };
      g.addEventListener("click", go);
      g.addEventListener("keydown", function (ev) { if (ev.key === "Enter") go(); });
    });
    var legend = el("text", {x: 10, y: HEIGHT - 10, "class": "legend"}, svg);
    legend.textContent = data.nodes.length + " concepts, " + data.edges.length +
      " edges; width = weight; click a concept to open it, an edge for its passages" +
      (data.truncated ? " (cut at " + data.nodes.length + " concepts)" : "");
    container.textContent = "";
    container.appendChild(svg);
    container.setAttribute("data-drawn", "true");
  }

  function start() {
    var container = document.getElementById("graph");
    if (!container) return;
    fetch(container.getAttribute("data-src"), {headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) { draw(container, data); })
      .catch(function (err) { container.textContent = "The graph could not be drawn: " + err.message; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

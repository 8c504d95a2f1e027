// The concept page's graph explorer, drawn with Cytoscape.js (from npm, served from
// static/vendor/). Zoom, pan and drag; click a concept to expand its neighbourhood in place,
// double-click to open its page; filter by relation and by minimum co-occurrence; edge width
// follows the passages two concepts share; at most LIMIT concepts at once, strongest first,
// with "show more"; click an edge for the passages behind it. Without JavaScript (or without
// the library) the page's lists say the same. All text goes in through textContent.
(function () {
  "use strict";
  var LIMIT = 40, MORE = 20, EXPAND_EXTRA = 20, BACKBONE = 1;
  var KINDS = ["broader", "narrower", "related", "co-occurs"];
  var COLOURS = {"broader": "#0b5cad", "narrower": "#7b3fa0", "related": "#2e8540",
                 "co-occurs": "#c4722a"};

  function $(selector, root) { return (root || document).querySelector(selector); }

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function Explorer(container) {
    this.container = container;
    this.canvas = $(".explorer-canvas", container);
    this.panel = $(".explorer-panel", container);
    this.status = $(".explorer-status", container);
    this.src = container.getAttribute("data-src");
    this.apiBase = container.getAttribute("data-api-base");
    this.conceptBase = container.getAttribute("data-concept-base");
    this.articleBase = container.getAttribute("data-article-base");
    this.nodes = {};      // iri -> {id, iri, label, definition, depth, mentions, order}
    this.edges = {};      // key -> edge JSON + kind (broader/narrower/related/co-occurs)
    this.expanded = {};   // iri -> expansion sequence number (the center is 0)
    this.sequence = 0;
    this.limit = LIMIT;
    this.minWeight = 1;
    this.kinds = {};
    KINDS.forEach(function (k) { this.kinds[k] = true; }, this);
    this.cy = null;
  }

  Explorer.prototype.start = function () {
    var self = this;
    return this.fetch(this.src).then(function (data) {
      self.center = data.center;
      self.merge(data, null);
      self.expanded[data.center] = 0;
      self.truncated = data.truncated;
      self.initGraph();
      self.bindControls();
      self.render(true);
      self.container.setAttribute("data-drawn", "true");
    }).catch(function (err) {
      self.canvas.textContent = "The graph could not be drawn: " + err.message +
        ". The lists below say the same.";
    });
  };

  Explorer.prototype.fetch = function (url) {
    return fetch(url, {headers: {Accept: "application/json"}}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  };

  // Add a neighbourhood's nodes and edges; `from`: the node it was expanded from.
  Explorer.prototype.merge = function (data, from) {
    var self = this, added = [];
    var base = from ? this.nodes[from].depth : 0;
    data.nodes.forEach(function (n) {
      if (!self.nodes[n.iri]) {
        n.depth = base + n.depth;
        n.order = Object.keys(self.nodes).length;
        self.nodes[n.iri] = n;
        added.push(n.iri);
      }
    });
    data.edges.forEach(function (e) {
      var key = e.type + "|" + e.source + "|" + e.target;
      var twin = e.type + "|" + e.target + "|" + e.source;
      if (self.edges[key] || (e.type !== "broader" && self.edges[twin])) return;
      if (!self.nodes[e.source] || !self.nodes[e.target]) return;
      e.key = key;
      // a hierarchy edge reads from the side that was found first: "broader" when the
      // newly found concept is the broader one, "narrower" when it is the narrower one
      if (e.type === "broader") {
        e.kind = self.nodes[e.source].order <= self.nodes[e.target].order ? "broader" : "narrower";
      } else {
        e.kind = e.type;
      }
      self.edges[key] = e;
    });
    return added;
  };

  Explorer.prototype.edgePasses = function (e) {
    if (!this.kinds[e.kind]) return false;
    return e.kind !== "co-occurs" || e.weight >= this.minWeight;
  };

  // How strongly an edge ties a concept in: scheme relations first, then shared passages.
  function strength(e) { return e.kind === "co-occurs" ? e.weight : 1000; }

  // Which concepts to show: reachable from the center over edges that pass the filters,
  // expanded concepts and the neighbours of the latest expansions first, then by depth and
  // strength; at most this.limit.
  Explorer.prototype.visible = function () {
    var self = this, adjacent = {}, passing = [], top = {};
    // co-occurrence between two concepts neither of which is expanded: only each concept's
    // BACKBONE strongest, so that depth 2 shows structure instead of a hairball
    var candidates = Object.keys(this.edges).map(function (k) { return self.edges[k]; })
      .filter(function (e) { return self.edgePasses(e); });
    candidates.filter(function (e) { return e.kind === "co-occurs"; })
      .sort(function (a, b) { return b.weight - a.weight || (b.npmi || 0) - (a.npmi || 0); })
      .forEach(function (e) {
        [e.source, e.target].forEach(function (iri) {
          (top[iri] = top[iri] || []).push(e);
        });
      });
    function backbone(e) {
      if (e.kind !== "co-occurs" || e.source in self.expanded || e.target in self.expanded) {
        return true;
      }
      return top[e.source].indexOf(e) < BACKBONE || top[e.target].indexOf(e) < BACKBONE;
    }
    candidates.forEach(function (e) {
      if (!backbone(e)) return;
      passing.push(e);
      (adjacent[e.source] = adjacent[e.source] || []).push(e);
      (adjacent[e.target] = adjacent[e.target] || []).push(e);
    });
    var reach = {}, queue = [this.center];
    reach[this.center] = true;
    while (queue.length) {
      var at = queue.shift();
      (adjacent[at] || []).forEach(function (e) {
        var other = e.source === at ? e.target : e.source;
        if (!reach[other]) { reach[other] = true; queue.push(other); }
      });
    }
    var rank = {};
    Object.keys(reach).forEach(function (iri) {
      var r = {tier: 2, recent: -1, score: 0};
      if (iri in self.expanded) r = {tier: 0, recent: self.expanded[iri], score: 0};
      (adjacent[iri] || []).forEach(function (e) {
        var other = e.source === iri ? e.target : e.source;
        r.score = Math.max(r.score, strength(e));
        if (r.tier > 0 && other in self.expanded) {
          r.tier = 1;
          r.recent = Math.max(r.recent, self.expanded[other]);
        }
      });
      rank[iri] = r;
    });
    var order = Object.keys(reach).sort(function (a, b) {
      var x = rank[a], y = rank[b];
      return x.tier - y.tier || y.recent - x.recent ||
        self.nodes[a].depth - self.nodes[b].depth || y.score - x.score ||
        self.nodes[a].label.localeCompare(self.nodes[b].label);
    });
    var shown = {};
    order.slice(0, this.limit).forEach(function (iri) { shown[iri] = true; });
    return {nodes: shown, hidden: Math.max(0, order.length - this.limit),
            edges: passing.filter(function (e) { return shown[e.source] && shown[e.target]; })};
  };

  Explorer.prototype.initGraph = function () {
    var self = this;
    /* global cytoscape */
    this.cy = cytoscape({
      container: this.canvas,
      minZoom: 0.2, maxZoom: 3, wheelSensitivity: 0.3,
      style: [
        {selector: "node", style: {
          "label": "data(label)", "font-size": 13, "font-family": "system-ui, sans-serif",
          "color": "#1d232b", "text-valign": "bottom", "text-margin-y": 4,
          "text-wrap": "wrap", "text-max-width": 120,
          "text-background-color": "#ffffff", "text-background-opacity": 0.85,
          "text-background-padding": 2, "text-background-shape": "roundrectangle",
          "width": "data(size)", "height": "data(size)",
          "background-color": "#e8f0fa", "border-width": 2, "border-color": "#0b5cad"}},
        {selector: "node.depth-2, node.depth-3, node.depth-4", style: {
          "background-color": "#f4f6f9", "border-color": "#8796a8", "color": "#3b4450",
          // the outer ring's names would cover each other: each shows on hover
          "label": ""}},
        {selector: "node.hover, node:selected, node.expanded", style: {"label": "data(label)"}},
        {selector: "node.expanded", style: {"border-width": 4, "background-color": "#cfe0f5"}},
        {selector: "node.center", style: {
          "background-color": "#0b5cad", "border-color": "#073b70", "font-weight": "bold",
          "font-size": 15}},
        {selector: "node:selected", style: {"border-color": "#d2691e", "border-width": 4}},
        {selector: "edge", style: {
          "width": "data(width)", "curve-style": "bezier", "opacity": 0.7,
          "line-color": "data(colour)", "target-arrow-color": "data(colour)"}},
        {selector: "edge.hierarchy", style: {"target-arrow-shape": "triangle",
                                             "arrow-scale": 0.9}},
        {selector: "edge.related", style: {"line-style": "dashed"}},
        // links between two neighbours recede, so the centre's own links read first
        {selector: "edge.peripheral", style: {"opacity": 0.35}},
        // a weak association (one shared passage, or NPMI under WEAK_NPMI) barely shows
        {selector: "edge.weak", style: {"opacity": 0.12}},
        {selector: "edge.hover, edge:selected", style: {
          "opacity": 1, "label": "data(caption)", "font-size": 11, "color": "#1d232b",
          "text-background-color": "#fff8e6", "text-background-opacity": 1,
          "text-background-padding": 2, "text-rotation": "autorotate"}},
        {selector: "edge:selected", style: {"line-color": "#d2691e",
                                            "target-arrow-color": "#d2691e"}}
      ],
      elements: []
    });
    // A click expands a concept at once; a double-click opens the concept the first click
    // was on. The browser's own dblclick event says it was a double-click (the user's
    // system setting, not a timer of ours), and the concept comes from the first click,
    // since the expansion may already have moved the graph under the pointer.
    // the canvas can change size after the first drawing (the panel beside it fills in,
    // the page reflows): Cytoscape measures its container only when told, and until then
    // maps clicks to the wrong places
    if (window.ResizeObserver) {
      new ResizeObserver(function () { self.cy.resize(); }).observe(this.canvas);
    }
    var taps = [null, null];  // the last two taps: a node's id, or null for the background
    this.cy.on("tap", function (ev) {
      var id = ev.target !== self.cy && ev.target.isNode() ? ev.target.id() : null;
      taps = [taps[1], id];
      if (id) { self.expand(id); }
    });
    this.canvas.addEventListener("dblclick", function () {
      var first = taps[0];  // the double-click's first click
      if (first) { self.open(first); }
    });
    this.cy.on("tap", "edge", function (ev) { self.showEdge(self.edges[ev.target.id()]); });
    this.cy.on("mouseover", "edge", function (ev) { ev.target.addClass("hover"); });
    this.cy.on("mouseout", "edge", function (ev) { ev.target.removeClass("hover"); });
    this.cy.on("mouseover", "node", function (ev) {
      ev.target.addClass("hover");
      self.canvas.style.cursor = "pointer";
    });
    this.cy.on("mouseout", "node", function (ev) { ev.target.removeClass("hover"); });
    this.cy.on("mouseout", "node", function () { self.canvas.style.cursor = ""; });
    window.citegraphExplorer = this; // for the browser tests
  };

  function edgeWidth(e) {
    if (e.kind !== "co-occurs") return 2;
    return Math.min(12, 1 + 2.2 * Math.log2(1 + e.weight));
  }

  function caption(e) {
    if (e.kind !== "co-occurs") return e.kind;
    var count = e.count !== undefined ? e.count : e.weight;
    return "NPMI " + (e.npmi !== undefined ? e.npmi.toFixed(2) : "–") + " · " + count +
      " passage" + (count === 1 ? "" : "s");
  }

  var WEAK_NPMI = 0.1;
  function isWeak(e) {
    if (e.kind !== "co-occurs") return false;
    var count = e.count !== undefined ? e.count : e.weight;
    return count <= 1 || (e.npmi !== undefined && e.npmi < WEAK_NPMI);
  }

  function nodeSize(n) {
    var base = n.depth === 0 ? 46 : 22;
    return Math.round(base + Math.min(24, 5 * Math.log2(1 + (n.mentions || 0))));
  }

  // Draw what passes the filters; `relayout`: run the force-directed layout.
  Explorer.prototype.render = function (relayout, around) {
    var self = this, view = this.visible(), cy = this.cy;
    cy.batch(function () {
      cy.elements().forEach(function (el) {
        if (el.isNode() ? !view.nodes[el.id()] : view.edges.indexOf(self.edges[el.id()]) < 0) {
          cy.remove(el);
        }
      });
      Object.keys(view.nodes).forEach(function (iri) {
        var n = self.nodes[iri], el = cy.getElementById(iri);
        var classes = "depth-" + Math.min(n.depth, 4) + (iri === self.center ? " center" : "") +
          (iri in self.expanded ? " expanded" : "");
        if (el.empty()) {
          var position;
          if (around && !cy.getElementById(around).empty()) {
            var p = cy.getElementById(around).position(), a = Math.random() * 2 * Math.PI;
            position = {x: p.x + 80 * Math.cos(a), y: p.y + 80 * Math.sin(a)};
          }
          el = cy.add({group: "nodes", data: {id: iri, label: n.label, size: nodeSize(n)},
                       position: position});
        }
        el.classes(classes);
      });
      view.edges.forEach(function (e) {
        if (cy.getElementById(e.key).empty()) {
          cy.add({group: "edges", classes: e.kind.replace(/[^a-z-]/g, "") +
                    (e.type === "broader" ? " hierarchy" : "") +
                    (e.source !== self.center && e.target !== self.center ? " peripheral" : "") +
                    (isWeak(e) ? " weak" : ""),
                  data: {id: e.key, source: e.source, target: e.target, width: edgeWidth(e),
                         colour: COLOURS[e.kind], caption: caption(e)}});
        }
      });
    });
    if (relayout) this.layout(!around);
    this.updateStatus(view);
  };

  Explorer.prototype.layout = function (fresh) {
    var self = this, count = this.cy.nodes().length;
    // a crowded graph gets a taller canvas rather than smaller gaps
    this.canvas.classList.toggle("explorer-canvas-large", count > 25);
    this.cy.resize();
    var deepest = Math.max.apply(null, this.cy.nodes().map(function (n) {
      return self.nodes[n.id()].depth;
    }));
    if (fresh && deepest >= 2) {
      // depth 2: rings around the centre, one per depth (a force layout of 40 concepts and
      // their links was a hairball), strongest-tied concepts first round each ring
      this.cy.layout({
        name: "concentric", fit: true, padding: 30, animate: false, startAngle: -Math.PI / 2,
        minNodeSpacing: 14, nodeDimensionsIncludeLabels: false,
        concentric: function (node) { return 10 - Math.min(self.nodes[node.id()].depth, 9); },
        levelWidth: function () { return 1; }
      }).run();
      return;
    }
    this.cy.layout({
      name: "cose", animate: !fresh, animationDuration: 400, randomize: fresh,
      // start in the canvas's own shape, so that the drawing fills its width
      boundingBox: fresh ? {x1: 0, y1: 0, w: this.canvas.clientWidth,
                            h: this.canvas.clientHeight} : undefined,
      fit: true, padding: 30, nodeDimensionsIncludeLabels: true,
      idealEdgeLength: function () { return count > 25 ? 90 : 110; },
      nodeRepulsion: function () { return count > 25 ? 14000 : 16000; },
      edgeElasticity: function (edge) { return edge.hasClass("co-occurs") ? 80 : 120; },
      nodeOverlap: 16, gravity: count > 25 ? 1.0 : 0.8, numIter: 2000, componentSpacing: 60
    }).run();
  };

  Explorer.prototype.updateStatus = function (view) {
    var shownNodes = Object.keys(view.nodes).length;
    this.status.textContent = shownNodes + " concepts, " + view.edges.length + " links shown" +
      (view.hidden ? "; " + view.hidden + " more hidden" : "") +
      (this.truncated ? " (the server cut the walk at its node limit)" : "");
    var more = $(".explorer-more", this.container);
    more.hidden = !view.hidden;
    more.textContent = "Show " + Math.min(MORE, view.hidden) + " more";
    this.container.setAttribute("data-nodes", String(shownNodes));
    this.container.setAttribute("data-edges", String(view.edges.length));
    // the legend's counts follow what is loaded
    var self = this, counts = {};
    Object.keys(this.edges).forEach(function (k) {
      var kind = self.edges[k].kind;
      counts[kind] = (counts[kind] || 0) + 1;
    });
    KINDS.forEach(function (kind) {
      var out = $('.legend-count[data-kind="' + kind + '"]', self.container);
      if (out) out.textContent = "(" + (counts[kind] || 0) + ")";
    });
  };

  Explorer.prototype.bindControls = function () {
    var self = this;
    Array.prototype.forEach.call(this.container.querySelectorAll("input[name=relation]"),
      function (box) {
        box.addEventListener("change", function () {
          self.kinds[box.value] = box.checked;
          self.render(false);
        });
      });
    var slider = $("input[name=min-weight]", this.container);
    var output = $(".min-weight-value", this.container);
    var max = 1;
    Object.keys(this.edges).forEach(function (k) {
      if (self.edges[k].kind === "co-occurs") max = Math.max(max, self.edges[k].weight);
    });
    slider.max = String(Math.max(2, max));
    slider.addEventListener("input", function () {
      self.minWeight = Number(slider.value);
      output.textContent = slider.value;
      self.render(false);
    });
    $(".explorer-more", this.container).addEventListener("click", function () {
      self.limit += MORE;
      self.render(true, self.center);
    });
    $(".explorer-fit", this.container).addEventListener("click", function () {
      self.cy.animate({fit: {padding: 30}}, {duration: 300});
    });
    $(".explorer-relayout", this.container).addEventListener("click", function () {
      self.layout(false);
    });
    this.container.querySelector(".explorer-controls").hidden = false;
  };

  Explorer.prototype.expand = function (iri) {
    var self = this, node = this.nodes[iri];
    this.showNode(node);
    if (iri in this.expanded) return Promise.resolve();
    this.expanded[iri] = ++this.sequence;
    this.container.setAttribute("data-busy", "true");
    var url = this.apiBase + encodeURIComponent(node.id) + "/neighbourhood?depth=1";
    return this.fetch(url).then(function (data) {
      var added = self.merge(data, iri);
      self.limit += Math.min(added.length, EXPAND_EXTRA);
      self.render(true, iri);
      self.showNode(node, added.length);
    }).catch(function (err) {
      delete self.expanded[iri];
      self.status.textContent = "Could not expand " + node.label + ": " + err.message;
    }).then(function () {
      self.container.setAttribute("data-busy", "false");
    });
  };

  Explorer.prototype.open = function (iri) {
    window.location.href = this.conceptBase + encodeURIComponent(this.nodes[iri].id);
  };

  Explorer.prototype.showNode = function (n, added) {
    var panel = this.panel;
    panel.textContent = "";
    panel.appendChild(make("h3", {}, n.label));
    if (n.definition) panel.appendChild(make("p", {"class": "definition"}, n.definition));
    var meta = make("p", {"class": "meta"}, (n.mentions || 0) + " mentions");
    if (added !== undefined) {
      meta.textContent += " · expanded: " + added + " new concept" + (added === 1 ? "" : "s");
    }
    panel.appendChild(meta);
    var link = make("a", {href: this.conceptBase + encodeURIComponent(n.id),
                          "class": "open-concept"}, "Open " + n.label + " →");
    panel.appendChild(make("p")).appendChild(link);
    panel.setAttribute("data-showing", "node");
  };

  Explorer.prototype.showEdge = function (e) {
    var self = this, panel = this.panel, a = this.nodes[e.source], b = this.nodes[e.target];
    panel.textContent = "";
    var verb = e.type === "broader" ? "is narrower than" : e.type === "related" ?
      "is related to" : "co-occurs with";
    panel.appendChild(make("h3", {}, a.label + " " + verb + " " + b.label));
    if (e.type === "co-occurs") {
      var m = make("p", {"class": "measure"});
      m.appendChild(make("strong", {}, "NPMI " + (e.npmi !== undefined ? e.npmi.toFixed(2) : "–")));
      m.appendChild(document.createTextNode(" · PMI " +
        (e.pmi !== undefined ? e.pmi.toFixed(2) : "–") + " · " + (e.count !== undefined ?
        e.count : e.weight) + " passages in common"));
      panel.appendChild(m);
    }
    if (!e.passages.length) {
      panel.appendChild(make("p", {"class": "empty"},
        "No passage mentions both: the relation comes from the concept scheme."));
    } else {
      panel.appendChild(make("p", {"class": "meta"}, e.passage_count > e.passages.length ?
        "The first " + e.passages.length + " of " + e.passage_count + " passages:" :
        e.passages.length + " passage" + (e.passages.length === 1 ? "" : "s") + ":"));
      var list = make("ol", {"class": "edge-passage-list"});
      e.passages.forEach(function (p) {
        var item = make("li");
        item.appendChild(make("a", {href: self.articleBase + encodeURIComponent(p.article_id) +
                                          "#p" + p.ordinal, "class": "title"},
                              (p.title || p.article_id) + " ¶" + p.ordinal));
        item.appendChild(make("p", {"class": "snippet"},
                              p.text.length > 220 ? p.text.slice(0, 219) + "…" : p.text));
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
    panel.setAttribute("data-showing", "edge");
  };

  function start() {
    var container = document.getElementById("explorer");
    if (!container) return;
    if (typeof cytoscape !== "function") {
      $(".explorer-canvas", container).textContent = "The graph library is not installed " +
        "(run `make setup`); the lists below say the same.";
      return;
    }
    new Explorer(container).start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// The graph of a network (/networks/ID) and of a person's links (/entities/ID/graph),
// drawn with the vendored Cytoscape.js. The page hands over its JSON twin's graph in a
// JSON block (#graph-data) and the words to show in its language (#graph-labels): the CSP
// allows no inline code. On a network's page, people are coloured by role, sized by head
// score, the likeliest heads drawn as diamonds, and a form filters the links by kind and
// date; clicking a person shows their role and head score. On a person's page, clicking a
// person draws their own links, fetched from /api/v1/entities/ID/neighbourhood, and the
// shortest path the page found (#graph-path) is drawn in red. The instance is window.cy.
// What a person's page opens (links, records, more links) carries the motif and case
// reference of the look (data-why), as the page's own links do.
(function () {
  "use strict";
  var element = document.getElementById("graph");
  if (!element || typeof cytoscape === "undefined") return;

  var KIND_COLOURS = {
    call: "#6b7280", meeting: "#0e7490", associate: "#1f4e8c", family: "#7e22ce",
    co_offending: "#b91c1c",
    payment: "#15803d", shared_account: "#15803d", membership: "#b45309",
    directorship: "#b45309", ownership: "#b45309", employment: "#a16207",
    representation: "#a16207", shared_phone: "#db2777", shared_vehicle: "#9a3412",
    shared_address: "#78716c"};
  // A shared phone, account, vehicle or address ties two people without a contact between
  // them: drawn dashed. The kinds with a direction (the caller, the payer...) get an arrow.
  var SHARED = ["shared_phone", "shared_account", "shared_vehicle", "shared_address"];
  var DIRECTED = ["call", "payment", "membership", "directorship", "ownership", "employment",
                  "representation"];
  var ROLE_COLOURS = {  // emco.model.enums.NetworkRole
    head: "#b91c1c", lieutenant: "#ea580c", enforcer: "#7c3aed", finance: "#15803d",
    supplier: "#ca8a04", logistics: "#0891b2", retail: "#64748b"};
  var MORE_COLOURS = ["#0d9488", "#be185d", "#4d7c0f", "#6d28d9", "#0369a1", "#94a3b8"];
  var PATH = "#dc2626";

  function block(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var data = block("graph-data") || {nodes: [], edges: [], members: []};
  var labels = block("graph-labels") || {kinds: {}, roles: {}, texts: {}};
  var pathData = block("graph-path");
  var T = labels.texts;
  var mode = element.getAttribute("data-mode");
  var centre = element.getAttribute("data-centre");
  var why = element.getAttribute("data-why") || "";
  function withWhy(url) {
    return why ? url + (url.indexOf("?") < 0 ? "?" : "&") + why : url;
  }
  var status = document.getElementById("graph-status");
  var panel = document.getElementById("graph-panel");
  var legend = document.getElementById("graph-legend");
  var locale = document.documentElement.lang || "fr";
  var members = {};
  (data.members || []).forEach(function (m) { members[m.entity] = m; });
  var heads = Number(element.getAttribute("data-heads") || 2);

  function fill(text, params) {
    return String(text).replace(/%\((\w+)\)s/g, function (_all, key) { return params[key]; });
  }
  function word(group, key) {
    return (labels[group] && labels[group][key]) || String(key).replace(/_/g, " ");
  }
  function say(text) { if (status) status.textContent = text; }
  function number(value) {
    if (typeof value !== "number") return value === null || value === undefined ? "—" : String(value);
    return new Intl.NumberFormat(locale, {maximumSignificantDigits: 3}).format(value);
  }
  function percent(value) {
    return new Intl.NumberFormat(locale, {style: "percent"}).format(value);
  }
  function kindColour(kind) { return KIND_COLOURS[kind] || "#475569"; }
  var extraRoles = {};
  var networkColours = {};
  function networkColour(id) {
    if (!networkColours[id]) {
      networkColours[id] = MORE_COLOURS[Object.keys(networkColours).length % MORE_COLOURS.length];
    }
    return networkColours[id];
  }

  function roleColour(role) {
    if (ROLE_COLOURS[role]) return ROLE_COLOURS[role];
    if (!extraRoles[role]) {
      extraRoles[role] = MORE_COLOURS[Object.keys(extraRoles).length % MORE_COLOURS.length];
    }
    return extraRoles[role];
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  // --- elements --------------------------------------------------------------------------

  var topScore = 0;
  (data.members || []).forEach(function (m) { topScore = Math.max(topScore, m.head_score); });

  function nodeElement(n) {
    var m = members[n.id];
    var classes = [];
    var d = {id: n.id, label: n.name, colour: "#1f4e8c", size: 26};
    if (!m && n.network) d.colour = networkColour(n.network);
    if (m) {
      d.colour = roleColour(m.role);
      d.size = 20 + 40 * (topScore > 0 ? m.head_score / topScore : 0);
      d.role = m.role;
      if (m.head_rank && data.members.indexOf(m) < heads) classes.push("head");
    }
    if (n.id === centre) classes.push("centre");
    return {group: "nodes", data: d, classes: classes.join(" ")};
  }

  function edgeId(e) { return [e.source, e.target, e.kind, e.agency].join("|"); }

  function edgeElement(e) {
    var classes = [];
    if (SHARED.indexOf(e.kind) >= 0) classes.push("shared");
    if (DIRECTED.indexOf(e.kind) >= 0) classes.push("directed");
    return {group: "edges", classes: classes.join(" "), data: {
      id: edgeId(e), source: e.source, target: e.target, kind: e.kind, agency: e.agency,
      weight: e.weight, count: e.count, first_on: e.first_on, last_on: e.last_on,
      evidence: e.evidence, colour: kindColour(e.kind),
      width: Math.min(1 + Math.log2(1 + e.weight), 8)}};
  }

  function elementsOf(graph) {
    return graph.nodes.map(nodeElement).concat(graph.edges.map(edgeElement));
  }

  var cy = cytoscape({
    container: element,
    elements: elementsOf(data),
    minZoom: 0.2, maxZoom: 3,
    style: [
      {selector: "node", style: {
        "label": "data(label)", "font-size": 12, "text-valign": "bottom", "text-margin-y": 3,
        "text-wrap": "ellipsis", "text-max-width": 120, "color": "#1d2430",
        "text-background-color": "#fff", "text-background-opacity": 0.75,
        "text-background-padding": 1, "background-color": "data(colour)",
        "width": "data(size)", "height": "data(size)", "border-width": 1,
        "border-color": "#fff"}},
      {selector: "node.head", style: {"shape": "diamond", "border-width": 4,
                                      "border-color": "#111827", "font-weight": "bold"}},
      {selector: "node.centre", style: {"border-width": 5, "border-color": "#111827",
                                        "font-weight": "bold"}},
      {selector: "node.expanded", style: {"border-style": "double", "border-width": 6,
                                          "border-color": "#111827"}},
      {selector: "node:selected", style: {"border-color": "#f59e0b", "border-width": 5}},
      {selector: "edge", style: {
        "width": "data(width)", "line-color": "data(colour)", "curve-style": "bezier",
        "opacity": 0.8, "target-arrow-color": "data(colour)"}},
      {selector: "edge.directed", style: {"target-arrow-shape": "triangle",
                                          "arrow-scale": 0.8}},
      {selector: "edge.shared", style: {"line-style": "dashed"}},
      {selector: "edge:selected", style: {"line-color": "#f59e0b",
                                          "target-arrow-color": "#f59e0b", "opacity": 1}},
      {selector: ".filtered", style: {"display": "none"}},
      {selector: "node.isolated", style: {"opacity": 0.25}},
      {selector: "node.on-path", style: {"border-color": PATH, "border-width": 5}},
      {selector: "edge.on-path", style: {"line-color": PATH, "target-arrow-color": PATH,
                                         "width": 5, "opacity": 1, "z-index": 10}}
    ],
    layout: {name: "preset"}
  });
  window.cy = cy;

  function layout(fit) {
    var options = cy.nodes().length > 1
      ? {name: "cose", animate: false, randomize: !fit, nodeDimensionsIncludeLabels: true,
         idealEdgeLength: function () { return 70; },
         nodeRepulsion: function () { return 40000; }, nodeOverlap: 20, gravity: 0.4,
         numIter: 1500, padding: 24, fit: true}
      : {name: "grid", fit: true, padding: 80};
    cy.layout(options).run();
  }

  // Labels stay readable when the whole graph is zoomed out to fit: never under ~11px
  // on screen; zooming in enlarges them as usual.
  var labelSize = 0;
  function keepLabelsReadable() {
    var size = Math.min(Math.max(12, 11 / cy.zoom()), 30);
    if (Math.abs(size - labelSize) < 0.5) return;
    labelSize = size;
    cy.style().selector("node").style({"font-size": size, "text-max-width": 14 * size})
      .update();
  }
  cy.on("zoom", keepLabelsReadable);

  function summary() {
    say(fill(T.shown, {n: cy.nodes().length, e: cy.edges().length}));
  }

  // --- the side panel ---------------------------------------------------------------------

  function clearPanel() {
    while (panel.firstChild) panel.removeChild(panel.firstChild);
  }

  function row(list, term, value) {
    list.appendChild(el("dt", term));
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    list.appendChild(dd);
  }

  function link(href, text, cls) {
    var a = el("a", text, cls);
    a.href = href;
    return a;
  }

  // A head score's parts, largest contribution first: each with its reason, and its
  // contribution (value 0-1 times weight); the contributions add up to the head score.
  function partsTable(parts) {
    var table = el("table", null, "parts-table");
    var head = el("thead");
    var tr = el("tr");
    tr.appendChild(el("th", T.part));
    tr.appendChild(el("th", T.contribution, "num"));
    head.appendChild(tr);
    table.appendChild(head);
    var body = el("tbody");
    Object.keys(parts).filter(function (name) {
      return parts[name] !== null && typeof parts[name] === "object";
    }).sort(function (a, b) {
      return (parts[b].contribution || 0) - (parts[a].contribution || 0);
    }).forEach(function (name) {
      var part = parts[name];
      var r = el("tr");
      var cell = el("th", word("parts", name));
      if (part.reason) cell.appendChild(el("span", part.reason, "part-reason"));
      r.appendChild(cell);
      var value = el("td", number(part.contribution), "num");
      value.appendChild(el("span", number(part.value) + " × " + number(part.weight),
                           "part-reason"));
      r.appendChild(value);
      body.appendChild(r);
    });
    table.appendChild(body);
    return table;
  }

  function showPerson(node) {
    clearPanel();
    var id = node.id();
    panel.appendChild(el("h3", node.data("label"), "panel-name"));
    var list = el("dl", null, "meta panel-meta");
    row(list, T.id, id);
    var m = members[id];
    if (m) {
      row(list, T.role, word("roles", m.role) + " (" + T.confidence + " " +
          percent(m.role_confidence) + ")");
      row(list, T.head_score, number(m.head_score));
      row(list, T.head_rank, String(m.head_rank));
    }
    panel.appendChild(list);
    if (m && m.parts && Object.keys(m.parts).length) {
      panel.appendChild(el("h4", T.parts));
      panel.appendChild(partsTable(m.parts));
    }
    var actions = el("p", null, "panel-actions");
    actions.appendChild(link(withWhy("/entities/" + encodeURIComponent(id) + "/graph"),
                             T.neighbourhood, "panel-neighbourhood"));
    if (mode === "neighbourhood" && id !== centre) {
      actions.appendChild(document.createTextNode(" · "));
      actions.appendChild(link(withWhy("/entities/" + encodeURIComponent(centre) +
                                       "/graph?to=" + encodeURIComponent(id)),
                               T.path_to, "panel-path"));
    }
    panel.appendChild(actions);
  }

  function showLink(edge) {
    clearPanel();
    var d = edge.data();
    panel.appendChild(el("h3", word("kinds", d.kind), "panel-name"));
    var list = el("dl", null, "meta panel-meta");
    row(list, T.link, edge.source().data("label") + " — " + edge.target().data("label"));
    row(list, T.service, d.agency);
    row(list, T.statements, String(d.count));
    row(list, T.weight, number(d.weight));
    row(list, T.active, d.first_on ? d.first_on + (d.last_on && d.last_on !== d.first_on
                                                   ? " – " + d.last_on : "") : T.undated);
    panel.appendChild(list);
    if (d.evidence && d.evidence.length) {
      panel.appendChild(el("h4", T.records));
      var ul = el("ul", null, "refs");
      d.evidence.forEach(function (ref) {
        var li = el("li");
        var match = /^record:(\d+)$/.exec(ref);
        li.appendChild(match ? link(withWhy("/records/" + match[1]), "#" + match[1])
                             : el("span", ref));
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    }
  }

  // --- expanding a person's links (a person's page) ----------------------------------------

  function expand(node) {
    if (node.hasClass("expanded")) return;
    var name = node.data("label");
    say(fill(T.expanding, {name: name}));
    fetch(withWhy("/api/v1/entities/" + encodeURIComponent(node.id()) + "/neighbourhood?hops=1"),
          {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.message || response.statusText);
          return body;
        });
      })
      .then(function (graph) {
        var added = [];
        graph.nodes.forEach(function (n) {
          if (cy.getElementById(n.id).empty()) added.push(nodeElement(n));
        });
        graph.edges.forEach(function (e) {
          if (cy.getElementById(edgeId(e)).empty()) added.push(edgeElement(e));
        });
        node.addClass("expanded");
        if (!added.length) {
          say(fill(T.no_more, {name: name}));
          return;
        }
        var at = node.position();
        cy.add(added).nodes().forEach(function (n, i) {  // around the person, then settle
          var angle = 2 * Math.PI * i / Math.max(added.length, 1);
          n.position({x: at.x + 120 * Math.cos(angle), y: at.y + 120 * Math.sin(angle)});
        });
        layout(true);
        summary();
      })
      .catch(function (error) { say(fill(T.failed, {reason: error.message})); });
  }

  // --- filter by kind and date (a network's page) -------------------------------------------

  var filter = document.getElementById("graph-filter");
  function applyFilter() {
    var kinds = [];
    filter.querySelectorAll("input[name=kind]").forEach(function (box) {
      if (box.checked) kinds.push(box.value);
    });
    var from = filter.querySelector("[name=from]").value;
    var to = filter.querySelector("[name=to]").value;
    if (from && to && from > to) {
      say(T.bad_dates);
      return;
    }
    cy.batch(function () {
      cy.edges().forEach(function (edge) {
        var d = edge.data();
        var shown = kinds.indexOf(d.kind) >= 0 &&
          !(from && d.last_on && d.last_on < from) && !(to && d.first_on && d.first_on > to);
        if (shown) edge.removeClass("filtered"); else edge.addClass("filtered");
      });
      cy.nodes().forEach(function (node) {
        var linked = node.connectedEdges().filter(function (e) {
          return !e.hasClass("filtered");
        }).length > 0;
        if (linked || node.connectedEdges().length === 0) node.removeClass("isolated");
        else node.addClass("isolated");
      });
    });
    var total = cy.edges().length;
    say(fill(T.filtered, {e: total - cy.edges(".filtered").length, t: total}));
  }
  if (filter) {
    filter.querySelectorAll(".kind-swatch").forEach(function (swatch) {
      swatch.style.borderTopColor = kindColour(swatch.getAttribute("data-kind"));
      if (SHARED.indexOf(swatch.getAttribute("data-kind")) >= 0) {
        swatch.style.borderTopStyle = "dashed";
      }
    });
    filter.addEventListener("submit", function (event) {
      event.preventDefault();
      applyFilter();
    });
    filter.addEventListener("reset", function () { setTimeout(applyFilter, 0); });
    filter.querySelectorAll("input[name=kind]").forEach(function (box) {
      box.addEventListener("change", applyFilter);
    });
  }

  // --- the legend --------------------------------------------------------------------------

  function legendItem(swatchClass, colour, text) {
    var li = el("li");
    var swatch = el("span", null, swatchClass);
    if (colour) swatch.style.backgroundColor = colour;
    li.appendChild(swatch);
    li.appendChild(document.createTextNode(text));
    legend.appendChild(li);
  }
  if (legend) {
    if (mode === "network") {
      var roles = [];
      (data.members || []).forEach(function (m) {
        if (roles.indexOf(m.role) < 0) roles.push(m.role);
      });
      roles.forEach(function (role) {
        legendItem("role-dot", roleColour(role), word("roles", role));
      });
      legendItem("head-diamond", null, T.heads_legend);
      legendItem("size-dot", null, T.size_legend);
    } else {
      legendItem("centre-dot", null, T.centre_legend);
      legendItem("expanded-dot", null, T.expanded_legend);
      var networksSeen = [];
      data.nodes.forEach(function (n) {
        if (n.network && networksSeen.indexOf(n.network) < 0) networksSeen.push(n.network);
      });
      networksSeen.sort().forEach(function (id) {
        legendItem("role-dot", networkColour(id), T.network_legend + " " + id);
      });
      if (pathData) legendItem("path-line", null, T.on_path);
    }
  }

  // --- start -------------------------------------------------------------------------------

  if (pathData) {
    var missing = elementsOf(pathData).filter(function (item) {
      return cy.getElementById(item.data.id).empty();
    });
    cy.add(missing);
    (pathData.path || []).forEach(function (id) { cy.getElementById(id).addClass("on-path"); });
    pathData.edges.forEach(function (e) { cy.getElementById(edgeId(e)).addClass("on-path"); });
  }
  var start = cy.getElementById(centre);
  if (start.nonempty() && data.edges.length) start.addClass("expanded");
  layout(false);
  keepLabelsReadable();
  summary();

  cy.on("tap", "node", function (event) {
    var node = event.target;
    showPerson(node);
    if (mode === "neighbourhood") expand(node);
  });
  cy.on("tap", "edge", function (event) { showLink(event.target); });
})();

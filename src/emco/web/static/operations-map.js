// The map of operations (/operations/map). Leaflet is vendored and no tile server is
// used: the background is a vendored outline of France and its neighbours (Natural
// Earth), a graticule and the names of a few cities. The operations come from the page's
// JSON twin (/api/v1/operations/map, GeoJSON): each is drawn as its area (a circle of its
// radius in metres) and a dot that stays visible at any zoom, coloured by kind; those in
// conflict with another service's operation are outlined in red. No inline code: the
// page's CSP allows only scripts served from /static.
(function () {
  "use strict";
  var COLOURS = {raid: "#1f4e9c", arrest: "#6a3d9a", surveillance: "#2f7d4a",
                 controlled_delivery: "#b8860b", transfer: "#c05a00", extraction: "#8c564b"};
  var CONFLICT = "#c62828";
  var FRANCE = [[41.2, -5.3], [51.2, 9.7]];
  var CITIES = [["Paris", 48.857, 2.352], ["Marseille", 43.296, 5.370], ["Lyon", 45.764, 4.836],
                ["Lille", 50.629, 3.057], ["Toulouse", 43.605, 1.444], ["Nice", 43.710, 7.262],
                ["Bordeaux", 44.838, -0.579], ["Nantes", 47.218, -1.554],
                ["Strasbourg", 48.573, 7.752], ["Rennes", 48.117, -1.678],
                ["Grenoble", 45.188, 5.724], ["Le Havre", 49.494, 0.108],
                ["Besançon", 47.238, 6.024], ["Nîmes", 43.837, 4.360]];

  var element = document.getElementById("operations-map");
  if (!element || typeof L === "undefined") return;
  var status = document.getElementById("map-status");
  var kinds = {};
  document.querySelectorAll("#map-legend [data-kind]").forEach(function (item) {
    kinds[item.getAttribute("data-kind")] = item.textContent.trim();
  });

  var map = L.map(element, {attributionControl: false, zoomSnap: 0.5, minZoom: 4,
                            maxZoom: 18, worldCopyJump: false});
  L.control.attribution({prefix: "Leaflet"}).addAttribution("Natural Earth").addTo(map);
  map.createPane("land").style.zIndex = 350;  // under the graticule and the operations
  L.control.scale({imperial: false}).addTo(map);
  map.fitBounds(FRANCE);

  function say(text) { if (status) status.textContent = text; }

  function graticule() {
    // A line every degree, each labelled at the edge of the view (kept there as it moves).
    var style = {color: "#9aa3b2", weight: 0.6, opacity: 0.7, dashArray: "2 4",
                 interactive: false};
    var labels = [];
    function label(text, anchor) {
      var marker = L.marker([0, 0], {interactive: false, keyboard: false, icon: L.divIcon(
        {className: "graticule-label", html: "", iconSize: null, iconAnchor: anchor})});
      marker.addTo(map).getElement().textContent = text;
      return marker;
    }
    for (var lat = 40; lat <= 53; lat += 1) {
      L.polyline([[lat, -7], [lat, 12]], style).addTo(map);
      labels.push({lat: lat, marker: label(lat + "°N", [36, -3])});
    }
    for (var lon = -6; lon <= 11; lon += 1) {
      L.polyline([[39.5, lon], [53.5, lon]], style).addTo(map);
      labels.push({lon: lon, marker: label(Math.abs(lon) + (lon < 0 ? "°W" : "°E"), [-3, 0])});
    }
    function place() {  // along the east and north edges, clear of the controls
      var b = map.getBounds();
      var east = b.getEast();
      var north = b.getNorth();
      labels.forEach(function (l) {
        l.marker.setLatLng(l.lat !== undefined ? [l.lat, east] : [north, l.lon]);
      });
    }
    map.on("moveend zoomend", place);
    place();
  }

  function cities() {
    CITIES.forEach(function (c) {
      L.circleMarker([c[1], c[2]], {radius: 2, color: "#4b5563", weight: 1, fillOpacity: 1,
                                    interactive: false}).addTo(map);
      var icon = L.divIcon({className: "city-label", html: "", iconSize: null,
                            iconAnchor: [-4, 6]});
      var marker = L.marker([c[1], c[2]], {icon: icon, interactive: false,
                                           keyboard: false}).addTo(map);
      marker.getElement().textContent = c[0];
    });
  }

  function outline(data) {
    L.geoJSON(data, {interactive: false, pane: "land", style: function (feature) {
      var france = feature.properties && feature.properties.france;
      return {color: france ? "#7b8594" : "#a9b1bd", weight: france ? 1.2 : 0.8,
              fillColor: france ? "#f7f4ec" : "#eef0f3", fillOpacity: 1};
    }}).addTo(map);
  }

  function when(text) {
    var locale = element.getAttribute("data-locale") === "en" ? "en-GB" : "fr-FR";
    return new Date(text).toLocaleString(locale, {timeZone: "Europe/Paris",
      day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit"});
  }

  function popup(p) {
    var box = document.createElement("div");
    box.className = "op-popup";
    var title = document.createElement("h3");
    title.textContent = p.agency + " · " + p.reference;
    box.appendChild(title);
    [(kinds[p.kind] || p.kind) + (p.conflict ? " · " + element.getAttribute("data-conflict") : ""),
     element.getAttribute("data-from") + " " + when(p.start),
     element.getAttribute("data-to") + " " + when(p.end),
     p.radius_m + " m"].forEach(function (text) {
      var line = document.createElement("p");
      line.textContent = text;
      box.appendChild(line);
    });
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = element.getAttribute("data-open");
    box.appendChild(link);
    return box;
  }

  function operations(data) {
    var bounds = [];
    var conflicts = 0;
    data.features.forEach(function (f) {
      var p = f.properties;
      var at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var colour = COLOURS[p.kind] || "#555";
      var kind = "op-" + p.kind + (p.conflict ? " op-conflict" : "");
      if (p.conflict) conflicts += 1;
      var area = L.circle(at, {radius: p.radius_m, color: p.conflict ? CONFLICT : colour,
                               weight: p.conflict ? 3 : 1.5, dashArray: p.conflict ? "6 4" : null,
                               fillColor: colour, fillOpacity: 0.25,
                               className: "op-area " + kind});
      var dot = L.circleMarker(at, {radius: 5, color: p.conflict ? CONFLICT : "#fff",
                                    weight: p.conflict ? 2.5 : 1, fillColor: colour,
                                    fillOpacity: 0.95, className: "op-dot " + kind});
      var content = popup(p);
      area.bindPopup(content).addTo(map);
      dot.bindPopup(content).addTo(map);
      bounds.push(area.getBounds());
    });
    if (bounds.length) {
      var all = bounds[0];
      bounds.forEach(function (b) { all = all.extend(b); });
      map.fitBounds(all, {padding: [40, 40], maxZoom: 13, animate: false});
      say(element.getAttribute("data-count").replace("%(n)s", data.features.length)
                                            .replace("%(c)s", conflicts));
    } else {
      say(element.getAttribute("data-none"));
    }
    element.setAttribute("data-loaded", String(data.features.length));
  }

  function json(url) {
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
  }

  graticule();
  json(element.getAttribute("data-outline"))
    .then(outline)
    .catch(function () { /* the graticule and the cities still place the operations */ })
    .then(function () {
      cities();
      return json(element.getAttribute("data-source"));
    })
    .then(operations)
    .catch(function () {
      say(element.getAttribute("data-failed"));
      element.setAttribute("data-loaded", "error");
    });
})();

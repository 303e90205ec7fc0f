/* National maps of an indicator: regions coloured by value, comuni as points.
   Values come from the stored aggregates (one JSON request); names are
   inserted as text, never HTML. No inline scripts (the CSP forbids them). */
(function () {
  "use strict";

  // Five sequential blues, light to dark (ColorBrewer "Blues"), readable on tiles.
  var COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

  function breaks(values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var cuts = [];
    for (var i = 1; i < COLOURS.length; i++) {
      cuts.push(sorted[Math.floor((sorted.length - 1) * i / COLOURS.length)]);
    }
    return cuts;
  }

  function colour(value, cuts) {
    if (value === null || value === undefined) { return "#d9dadb"; }
    var i = 0;
    while (i < cuts.length && value > cuts[i]) { i++; }
    return COLOURS[i];
  }

  function text(value) {
    return value === null || value === undefined ? "–" : Number(value).toLocaleString(document.documentElement.lang || "it", { maximumFractionDigits: 2 });
  }

  function popup(title, line) {
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = title;
    box.appendChild(strong);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode(line));
    return box;
  }

  function init(el) {
    if (!window.L) { return; }
    var map = window.Prossima.tileMap(el, { scrollWheelZoom: false });
    map.setView([42.1, 12.5], 6);
    if (el.dataset.boundaryAttribution) { map.attributionControl.addAttribution(el.dataset.boundaryAttribution); }
    Promise.all([window.Prossima.getJson(el.dataset.regionsUrl), window.Prossima.getJson(el.dataset.valuesUrl)])
      .then(function (loaded) {
        var shapes = loaded[0], data = loaded[1];
        var byRegion = {};
        data.regions.forEach(function (r) { byRegion[r.code] = r; });
        var regionCuts = breaks(data.regions.map(function (r) { return r.value; }).filter(function (v) { return v !== null; }));
        L.geoJSON(shapes, {
          style: function (f) {
            var r = byRegion[f.properties.code];
            return { color: "#5c6f82", weight: 1, fillOpacity: 0.7, fillColor: colour(r ? r.value : null, regionCuts) };
          },
          onEachFeature: function (f, layer) {
            var r = byRegion[f.properties.code];
            layer.bindPopup(popup(f.properties.name, text(r ? r.value : null) + " " + (el.dataset.unit || "") +
              (r ? " · " + r.comuni + " " + (el.dataset.comuniLabel || "") : "")));
          }
        }).addTo(map);
        var comuneCuts = breaks(data.comuni.map(function (c) { return c[4]; }));
        var canvas = L.canvas({ padding: 0.5 });
        data.comuni.forEach(function (c) {
          if (c[2] === null || c[3] === null) { return; }
          L.circleMarker([c[3], c[2]], { renderer: canvas, radius: 3, weight: 0.5, color: "#17324d", fillOpacity: 0.9, fillColor: colour(c[4], comuneCuts) })
            .bindPopup(popup(c[1], text(c[4]) + " " + (el.dataset.unit || "")))
            .addTo(map);
        });
        el.setAttribute("data-count", String(data.comuni.length));
        el.setAttribute("data-loaded", "true");
      })
      .catch(function () {
        el.setAttribute("data-loaded", "error");
        el.textContent = el.dataset.errorText || "Map not available.";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-indicator-map]").forEach(init);
  });
})();

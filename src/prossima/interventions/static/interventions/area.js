/* Draw an area by clicking its corners; the GeoJSON goes into the form's area field. */
(function () {
  "use strict";

  function initEditor(el) {
    if (!window.L) { return; }
    var form = el.closest("form");
    var target = form ? form.querySelector("textarea[data-area-target]") : null;
    var map = window.Prossima.tileMap(el);
    var points = [];
    var shape = null;
    var fitted = false;

    function fit(layer) {
      if (!fitted) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); fitted = true; }
    }

    function draw() {
      if (shape) { map.removeLayer(shape); shape = null; }
      if (!points.length) { return; }
      shape = (points.length < 3 ? L.polyline(points) : L.polygon(points)).addTo(map);
      if (points.length >= 3 && target) {
        var ring = points.map(function (p) { return [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]; });
        ring.push(ring[0]);
        target.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      }
    }

    if (el.dataset.extent) {
      var e = el.dataset.extent.split(",").map(Number);
      map.fitBounds([[e[1], e[0]], [e[3], e[2]]]);
    }
    if (el.dataset.show) {
      try {
        var shown = L.geoJSON(JSON.parse(el.dataset.show), { style: { color: "#4a0072", weight: 2, fillOpacity: 0.25 } }).addTo(map);
        fit(shown);
      } catch (e) { /* nothing to show */ }
    }
    if (el.dataset.boundaryUrl) {
      window.Prossima.getJson(el.dataset.boundaryUrl).then(function (f) {
        var layer = L.geoJSON(f, { style: { color: "#0066cc", weight: 2, fillOpacity: 0.05 }, interactive: false }).addTo(map);
        fit(layer);
      });
    }
    if (target && target.value) {
      try {
        var existing = L.geoJSON(JSON.parse(target.value), { style: { color: "#d95f02" } }).addTo(map);
        fit(existing);
      } catch (e) { /* a hand-written value that is not JSON: the server will say so */ }
    }
    map.on("click", function (e) { points.push(e.latlng); draw(); });
    var clear = el.parentElement.querySelector("[data-area-clear]");
    if (clear) {
      clear.addEventListener("click", function () { points = []; draw(); if (target) { target.value = ""; } });
    }
    document.querySelectorAll("[data-control-suggestion]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!target) { return; }
        target.value = button.dataset.controlSuggestion;
        var name = form.querySelector("input[name=control_label]");
        if (name) { name.value = button.dataset.controlName; }
        points = [];
        draw();
        shape = L.geoJSON(JSON.parse(button.dataset.controlSuggestion), { style: { color: "#d95f02" } }).addTo(map);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-area-editor]").forEach(initEditor);
  });
})();

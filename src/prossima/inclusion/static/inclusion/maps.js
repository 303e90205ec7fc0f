/* Inclusion maps: the vulnerability choropleth, the safety-audit cells and the audit picker. */
(function () {
  "use strict";

  function baseMap(el) { return window.Prossima.tileMap(el); }

  function boundary(map, url) { return window.Prossima.addBoundary(map, url); }

  // ColorBrewer YlOrRd, light to dark.
  var RAMP = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  // ColorBrewer RdYlGn for the 0-3 safety scores: red is poor.
  function safetyColour(score) {
    return score < 1 ? "#d7191c" : score < 1.75 ? "#fdae61" : score < 2.5 ? "#a6d96a" : "#1a9641";
  }

  function vulnerability(el) {
    var doc = JSON.parse(document.getElementById("vulnerability-geojson").textContent);
    var map = baseMap(el);
    var scores = doc.features.map(function (f) { return f.properties.score || 0; });
    var lo = Math.min.apply(null, scores), hi = Math.max.apply(null, scores);
    var layer = L.geoJSON(doc, {
      style: function (f) {
        var t = hi > lo ? (f.properties.score - lo) / (hi - lo) : 0;
        return { color: "#333", weight: 1, fillColor: RAMP[Math.min(4, Math.floor(t * 5))], fillOpacity: 0.75 };
      },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name + " · " + f.properties.rank); }
    }).addTo(map);
    if (doc.features.length) { map.fitBounds(layer.getBounds()); }
    el.setAttribute("data-loaded", "true");
  }

  function auditCells(el) {
    var map = baseMap(el);
    boundary(map, el.dataset.boundaryUrl).then(function () {
      return window.Prossima.getJson(el.dataset.cellsUrl);
    }).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) { return { color: "#333", weight: 0.5, fillColor: safetyColour(f.properties.score), fillOpacity: 0.8 }; },
        onEachFeature: function (f, l) {
          l.bindTooltip(f.properties.score.toFixed(2) + " (" + f.properties.audits + ")");
        }
      }).addTo(map);
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 17 }); }
      el.setAttribute("data-loaded", "true");
    });
  }

  function picker(el) {
    var map = baseMap(el);
    var form = document.querySelector("form[data-testid=audit-form]");
    var lat = form.querySelector("input[name=lat]");
    var lon = form.querySelector("input[name=lon]");
    var marker = null;
    function place(latlng) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else { marker = L.circleMarker(latlng, { radius: 8 }).addTo(map); }
    }
    boundary(map, el.dataset.boundaryUrl);
    map.on("click", function (e) { place(e.latlng); });
    var locate = document.querySelector("[data-locate]");
    if (locate && navigator.geolocation) {
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          var ll = L.latLng(p.coords.latitude, p.coords.longitude);
          place(ll);
          map.setView(ll, 17);
        });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.L) { return; }
    var v = document.getElementById("vulnerability-map");
    if (v) { vulnerability(v); }
    var a = document.getElementById("audit-map");
    if (a) { auditCells(a); }
    var p = document.getElementById("audit-picker");
    if (p) { picker(p); }
  });
})();

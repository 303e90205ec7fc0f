/* Page behaviour without inline scripts (the Content-Security-Policy forbids them). */
(function () {
  "use strict";

  function boundaryStyle() {
    return { color: "#0066cc", weight: 2, fillColor: "#0066cc", fillOpacity: 0.08 };
  }

  // Shared by every map script of the modules (loaded after this file).
  var Prossima = window.Prossima = {
    /* Return a Leaflet map on el, with the configured base tiles if any (data-tile-url). */
    tileMap: function (el, options) {
      var map = L.map(el, Object.assign({ maxZoom: 19 }, options || {}));
      if (el.dataset.tileUrl) {
        L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
      }
      map.setView([41.9, 12.5], 5);
      return map;
    },
    /* Return a promise of the JSON at url; a non-2xx answer rejects it. */
    getJson: function (url) {
      return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); });
    },
    /* Return the parsed content of a <script type="application/json"> block, or null. */
    readJson: function (id) {
      var node = document.getElementById(id);
      return node ? JSON.parse(node.textContent) : null;
    },
    /* Draw a comune's boundary from url and fit the map to it; resolve to the layer or null. */
    addBoundary: function (map, url) {
      if (!url) { return Promise.resolve(null); }
      return Prossima.getJson(url).then(function (feature) {
        var layer = L.geoJSON(feature, {
          style: { color: "#0066cc", weight: 2, fillOpacity: 0.05 }, interactive: false
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        return layer;
      }).catch(function () { return null; });
    }
  };

  function initMap(el) {
    if (!window.L) { return; }
    var map = Prossima.tileMap(el, { scrollWheelZoom: false });
    map.attributionControl.addAttribution(el.dataset.boundaryAttribution || "");
    Prossima.getJson(el.dataset.boundaryUrl)
      .then(function (feature) {
        var layer = L.geoJSON(feature, { style: boundaryStyle }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        el.setAttribute("data-loaded", "true");
        if (el.dataset.subareasUrl) {
          return Prossima.getJson(el.dataset.subareasUrl).then(function (fc) {
            if (fc.features && fc.features.length) {
              L.geoJSON(fc, {
                style: { color: "#5c6f82", weight: 1, fillOpacity: 0 },
                onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); }
              }).addTo(map);
            }
          });
        }
      })
      .catch(function () {
        el.setAttribute("data-loaded", "error");
        el.textContent = el.dataset.errorText || "Map not available.";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(initMap);
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
  });
})();

/* Page behaviour without inline scripts (the Content-Security-Policy forbids them). */
(function () {
  "use strict";

  function boundaryStyle() {
    return { color: "#0066cc", weight: 2, fillColor: "#0066cc", fillOpacity: 0.08 };
  }

  function initMap(el) {
    if (!window.L) { return; }
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: true });
    var tileUrl = el.dataset.tileUrl;
    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    }
    map.attributionControl.addAttribution(el.dataset.boundaryAttribution || "");
    fetch(el.dataset.boundaryUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (feature) {
        var layer = L.geoJSON(feature, { style: boundaryStyle }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        el.setAttribute("data-loaded", "true");
        if (el.dataset.subareasUrl) {
          return fetch(el.dataset.subareasUrl).then(function (r) { return r.json(); }).then(function (fc) {
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

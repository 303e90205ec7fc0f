/* Confiscated-asset maps: the national map of comuni and a comune's listed assets. */
(function () {
  "use strict";

  function nationalMap(el) {
    var map = window.Prossima.tileMap(el);
    window.Prossima.getJson(el.dataset.regionsUrl).then(function (regions) {
      var outline = L.geoJSON(regions, {
        style: { color: "#5c6f82", weight: 1, fillColor: "#f2f7fc", fillOpacity: 1 }, interactive: false
      }).addTo(map);
      map.fitBounds(outline.getBounds());
      return window.Prossima.getJson(el.dataset.url);
    }).then(function (fc) {
      var max = fc.features.reduce(function (m, f) { return Math.max(m, f.properties.total); }, 1);
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          var p = f.properties;
          return L.circleMarker(latlng, {
            radius: 4 + 16 * Math.sqrt(p.total / max),
            color: p.idle ? "#b71918" : "#0066cc",
            weight: 1,
            fillOpacity: 0.5
          });
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          var box = document.createElement("div");
          var link = document.createElement("a");
          link.href = p.url;
          link.textContent = p.name;
          box.appendChild(link);
          box.appendChild(document.createElement("br"));
          box.appendChild(document.createTextNode(
            el.dataset.labelTotal.replace("%s", p.total) + " · " +
            el.dataset.labelListed.replace("%s", p.listed) + " · " +
            el.dataset.labelIdle.replace("%s", p.idle)));
          l.bindPopup(box);
        }
      }).addTo(map);
      layer.bringToFront();
      el.setAttribute("data-loaded", "true");
    });
  }

  function comuneMap(el) {
    var points = JSON.parse(document.getElementById("asset-points").textContent);
    var map = window.Prossima.tileMap(el);
    window.Prossima.addBoundary(map, el.dataset.boundaryUrl).then(function () {
      var markers = points.map(function (p) {
        var link = document.createElement("a");
        link.href = p.url;
        link.textContent = p.code;
        return L.circleMarker([p.lat, p.lon], { radius: 7, color: "#0066cc" }).bindPopup(link);
      });
      var group = L.featureGroup(markers).addTo(map);
      if (markers.length) { map.fitBounds(group.getBounds(), { maxZoom: 15 }); }
      el.setAttribute("data-loaded", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var national = document.getElementById("assets-map");
    if (national) { nationalMap(national); }
    var comune = document.getElementById("comune-assets-map");
    if (comune) { comuneMap(comune); }
  });
})();

/* Seizure maps: the operations of a period (or one operation) and the street-trade hot spots. */
(function () {
  "use strict";

  function giColor(classes, value) {
    for (var i = 0; i < classes.length; i++) {
      if (classes[i].value === value) { return classes[i].color; }
    }
    return "#ffffff";
  }

  function popup(el, p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.date + (p.reference ? " · " + p.reference : "");
    box.appendChild(title);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode(p.placeLabel));
    if (p.url) {
      box.appendChild(document.createElement("br"));
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = el.dataset.labelOpen || "Open";
      box.appendChild(link);
    }
    return box;
  }

  function hotspotLayer(el, map, control) {
    var classes = window.Prossima.readJson("seizure-gi-classes") || [];
    return window.Prossima.getJson(el.dataset.hotspotsUrl).then(function (doc) {
      if (!doc.enough || !doc.cells) { return null; }
      var layer = L.geoJSON(doc.cells, {
        style: function (f) {
          var cls = f.properties.gi_class;
          return {
            color: "#5c6f82", weight: 0.4, fillOpacity: cls ? 0.7 : 0.15,
            fillColor: cls ? giColor(classes, cls) : "#e3e4e6"
          };
        },
        onEachFeature: function (f, l) {
          l.bindTooltip((el.dataset.labelCount || "") + ": " + f.properties.count);
        }
      }).addTo(map);
      layer.bringToBack();
      control.addOverlay(layer, el.dataset.labelHotspots || "Hot spots");
      return layer;
    });
  }

  function seizureMap(el) {
    var points = window.Prossima.readJson("seizure-points") || [];
    var map = window.Prossima.tileMap(el, { scrollWheelZoom: false });
    // A layer switch only when there is a second layer to switch.
    var control = el.dataset.hotspotsUrl ? L.control.layers(null, null, { collapsed: false }).addTo(map) : null;
    window.Prossima.addBoundary(map, el.dataset.boundaryUrl).then(function () {
      var markers = points.map(function (p) {
        return L.circleMarker([p.lat, p.lon], {
          radius: 6, color: p.place === "street" ? "#b71918" : "#0066cc", weight: 1, fillOpacity: 0.6
        }).bindPopup(popup(el, p));
      });
      var group = L.featureGroup(markers).addTo(map);
      if (control) { control.addOverlay(group, el.dataset.labelOperations || "Operations"); }
      if (markers.length) { map.fitBounds(group.getBounds(), { maxZoom: 15, padding: [10, 10] }); }
      if (el.dataset.hotspotsUrl) {
        return hotspotLayer(el, map, control).then(function () { group.bringToFront(); });
      }
      return null;
    }).then(function () {
      el.setAttribute("data-loaded", "true");
    }).catch(function () {
      el.setAttribute("data-loaded", "error");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("seizure-map");
    if (el && window.L) { seizureMap(el); }
  });
})();

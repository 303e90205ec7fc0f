/* Citizen-report maps: pick a place, show published reports, show one report.
   No inline scripts (the Content-Security-Policy forbids them): configuration
   comes from data- attributes. Text from reports is inserted as text, never HTML. */
(function () {
  "use strict";

  var BLUE = "#0066cc";
  var ITALY = { center: [42.5, 12.5], zoom: 6 };
  var STATE_COLOURS = { open: "#0066cc", fixed: "#008055", closed: "#5c6f82" };
  // Half the diagonal of the 100 m cell a public point stands for.
  var CELL_RADIUS_M = 71;

  function baseMap(el) {
    var map = window.Prossima.tileMap(el, { scrollWheelZoom: false });
    if (el.dataset.boundaryAttribution) {
      map.attributionControl.addAttribution(el.dataset.boundaryAttribution);
    }
    return map;
  }

  function fail(el) {
    el.setAttribute("data-loaded", "error");
    el.textContent = el.dataset.errorText || "Map not available.";
  }

  function loadBoundary(map, el) {
    if (!el.dataset.boundaryUrl) { return Promise.resolve(null); }
    return fetch(el.dataset.boundaryUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (feature) {
        var layer = L.geoJSON(feature, {
          style: { color: BLUE, weight: 2, fillColor: BLUE, fillOpacity: 0.05 },
          interactive: false
        }).addTo(map);
        return layer;
      });
  }

  function initPicker(el) {
    var lat = document.getElementById(el.dataset.latInput);
    var lon = document.getElementById(el.dataset.lonInput);
    if (!window.L || !lat || !lon) { return; }
    var map = baseMap(el);
    var marker = null;

    function show(latlng) {
      if (marker) { marker.setLatLng(latlng); return; }
      marker = L.circleMarker(latlng, { radius: 9, color: "#fff", weight: 3, fillColor: "#d1344c", fillOpacity: 1 }).addTo(map);
    }
    function typed() {
      var y = parseFloat(lat.value), x = parseFloat(lon.value);
      return (isFinite(y) && isFinite(x)) ? L.latLng(y, x) : null;
    }

    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(6);
      lon.value = e.latlng.lng.toFixed(6);
      show(e.latlng);
      el.setAttribute("data-picked", "true");
    });
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () {
        var point = typed();
        if (point) { show(point); map.panTo(point); }
      });
    });

    var initial = typed();
    loadBoundary(map, el).then(function (layer) {
      if (initial) {
        show(initial);
        map.setView(initial, 16);
      } else if (layer) {
        map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      } else {
        map.setView(ITALY.center, ITALY.zoom);
      }
      el.setAttribute("data-loaded", "true");
    }).catch(function () {
      map.setView(initial || ITALY.center, initial ? 16 : ITALY.zoom);
      el.setAttribute("data-loaded", "true");
    });
  }

  function popup(props, illustrativeText) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.title;
    link.className = "fw-semibold";
    box.appendChild(link);
    var meta = document.createElement("div");
    meta.className = "small";
    meta.textContent = props.category + " · " + props.status_label + " · " + props.date;
    box.appendChild(meta);
    if (props.illustrative) {
      var badge = document.createElement("div");
      badge.className = "small fst-italic";
      badge.textContent = illustrativeText || "";
      box.appendChild(badge);
    }
    return box;
  }

  function initReportsMap(el) {
    if (!window.L) { return; }
    var map = baseMap(el);
    loadBoundary(map, el)
      .then(function (layer) {
        if (layer) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
        return fetch(el.dataset.pointsUrl, { headers: { "Accept": "application/json" } });
      })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (fc) {
        (fc.features || []).forEach(function (f) {
          var c = f.geometry.coordinates;
          var colour = STATE_COLOURS[f.properties.state_type] || BLUE;
          var where = [c[1], c[0]];
          // The true 100 m cell, and a dot that stays visible when zoomed out.
          L.circle(where, { radius: CELL_RADIUS_M, color: colour, weight: 1, fillOpacity: 0.15, interactive: false })
            .addTo(map);
          L.circleMarker(where, { radius: 7, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.9 })
            .bindPopup(popup(f.properties, el.dataset.illustrativeText))
            .addTo(map);
        });
        el.setAttribute("data-count", String((fc.features || []).length));
        el.setAttribute("data-loaded", "true");
      })
      .catch(function () { fail(el); });
  }

  function initPoint(el) {
    if (!window.L) { return; }
    var map = baseMap(el);
    var centre = L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon));
    L.circle(centre, { radius: CELL_RADIUS_M, color: BLUE, weight: 2, fillOpacity: 0.2 }).addTo(map);
    if (el.dataset.exactLat) {
      var exact = L.latLng(parseFloat(el.dataset.exactLat), parseFloat(el.dataset.exactLon));
      L.circleMarker(exact, { radius: 7, color: "#fff", weight: 2, fillColor: "#d1344c", fillOpacity: 1 }).addTo(map);
    }
    map.setView(centre, 16);
    el.setAttribute("data-loaded", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-report-picker]").forEach(initPicker);
    document.querySelectorAll("[data-report-map]").forEach(initReportsMap);
    document.querySelectorAll("[data-report-point]").forEach(initPoint);
  });
})();

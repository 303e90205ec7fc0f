/* Participation maps: proposals of a consultation, one proposal's place.
   No inline scripts (the Content-Security-Policy forbids them): points come
   from a JSON data block; titles are inserted as text, never HTML. */
(function () {
  "use strict";

  var RED = "#d1344c";

  function initProposalMap(el) {
    var source = document.getElementById(el.dataset.proposalMap);
    if (!window.L || !source) { return; }
    var points = JSON.parse(source.textContent || "[]");
    var map = window.Prossima.tileMap(el, { scrollWheelZoom: false });
    var bounds = [];
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], { radius: 7, color: "#fff", weight: 2, fillColor: RED, fillOpacity: 1 }).addTo(map);
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.title;
      marker.bindPopup(link);
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length === 1) { map.setView(bounds[0], 16); }
    else if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); }
    el.setAttribute("data-loaded", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-proposal-map]").forEach(initProposalMap);
  });
})();

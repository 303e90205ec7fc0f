/* The beats map and its editor (configuration from JSON blocks: the CSP forbids inline scripts). */
(function () {
  "use strict";

  var readJson = window.Prossima.readJson;
  var getJson = window.Prossima.getJson;

  function csrfToken() {
    var input = document.querySelector("#edit-form input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("beats-map");
    var config = readJson("beats-config");
    var labels = readJson("beats-labels");
    if (!el || !config || !window.L) { return; }
    var map = window.Prossima.tileMap(el, { preferCanvas: true });
    function colour(beat) { return config.colours[beat % config.colours.length]; }
    el.setAttribute("data-loaded", "false");
    var beatsLayer = null;
    getJson(config.beatsUrl).then(function (fc) {
      beatsLayer = L.geoJSON(fc, {
        style: function (f) {
          return { color: "#333", weight: 1.5, fillColor: colour(f.properties.beat), fillOpacity: 0.55 };
        },
        onEachFeature: function (f, l) {
          l.bindTooltip(labels.beat + " " + (f.properties.beat + 1));
        }
      }).addTo(map);
      map.fitBounds(beatsLayer.getBounds());
      el.setAttribute("data-loaded", "true");
    }).catch(function () { el.textContent = labels.error; });

    var startButton = document.getElementById("start-edit");
    var form = document.getElementById("edit-form");
    if (!startButton || !form) { return; }
    var status = document.getElementById("edit-status");
    var select = document.getElementById("edit-beat");
    var current = null;

    function evaluate() {
      fetch(config.evaluateUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ labels: current })
      }).then(function (r) { return r.json(); }).then(function (stats) {
        var text = labels.balance + ": " + Number(stats.balance.max_over_min).toFixed(2);
        if (stats.problems && stats.problems.length) {
          text += " · " + labels.problems + ": " + stats.problems.join(" ");
        }
        status.textContent = text;
        status.setAttribute("data-problems", String((stats.problems || []).length));
      });
      document.getElementById("edit-labels").value = JSON.stringify(current);
    }

    startButton.addEventListener("click", function () {
      startButton.hidden = true;
      form.hidden = false;
      el.setAttribute("data-loaded", "false");
      getJson(config.cellsUrl).then(function (fc) {
        current = fc.features.map(function (f) { return f.properties.beat; });
        if (beatsLayer) { map.removeLayer(beatsLayer); }
        var renderer = L.svg();
        L.geoJSON(fc, {
          renderer: renderer,
          style: function (f) {
            return { color: "#fff", weight: 0.5, fillColor: colour(f.properties.beat), fillOpacity: 0.7, className: "beat-cell" };
          },
          onEachFeature: function (f, l) {
            var i = fc.features.indexOf(f);
            l.on("click", function () {
              var beat = Number(select.value);
              current[i] = beat;
              l.setStyle({ fillColor: colour(beat) });
              evaluate();
            });
          }
        }).addTo(map);
        document.getElementById("edit-labels").value = JSON.stringify(current);
        el.setAttribute("data-loaded", "true");
        evaluate();
      });
    });
  });
})();

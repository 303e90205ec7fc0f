/* The analytics maps: the restricted map of a tenant and its public page.
 * Configuration comes from <script type="application/json"> blocks (the
 * Content-Security-Policy forbids inline scripts). */
(function () {
  "use strict";

  var readJson = window.Prossima.readJson;
  var getJson = window.Prossima.getJson;
  var addBoundary = window.Prossima.addBoundary;

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function number(value, digits) {
    if (value === null || value === undefined) { return "–"; }
    return Number(value).toLocaleString(document.documentElement.lang || "it",
      { maximumFractionDigits: digits === undefined ? 0 : digits });
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  // Long explanations scroll inside the popup instead of covering the map.
  var POPUP = { maxHeight: 340, maxWidth: 360 };

  function report(err) {
    if (window.console) { window.console.error(err); }
  }

  function baseMap(el) {
    return window.Prossima.tileMap(el, { preferCanvas: true, scrollWheelZoom: true });
  }

  function giColor(classes, value) {
    for (var i = 0; i < classes.length; i++) {
      if (classes[i].value === value) { return classes[i].color; }
    }
    return "#ffffff";
  }

  function legendHtml(title, entries) {
    var items = entries.map(function (e) {
      return '<span><span class="swatch" style="background:' + e.color + '"></span>' +
        escapeHtml(e.label) + "</span>";
    }).join("");
    return '<div class="map-legend"><strong>' + escapeHtml(title) + "</strong>" + items + "</div>";
  }

  /* ---- restricted map ---------------------------------------------- */
  function initAnalyticsMap(el) {
    var config = readJson("map-config");
    var labels = readJson("map-labels");
    if (!config || !window.L) { return; }
    var map = baseMap(el);
    var status = document.getElementById("map-status");
    var legend = document.getElementById("map-legend");
    var months = config.months || [];
    var slider = document.getElementById("month-slider");
    var monthLabel = document.getElementById("month-label");
    var allMonths = document.getElementById("all-months");
    var showPoints = document.getElementById("show-points");
    var category = document.getElementById("filter-category");
    var area = document.getElementById("filter-area");
    var svgRenderer = L.svg();
    var clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
    var overlays = {};
    var legends = {};
    var fitted = false;
    var pending = 0;

    function busy(delta) {
      pending += delta;
      el.setAttribute("data-loaded", pending > 0 ? "false" : "true");
    }

    function renderLegend() {
      legend.innerHTML = Object.keys(legends).map(function (k) { return legends[k]; }).join("");
    }

    slider.max = String(Math.max(0, months.length - 1));
    slider.value = String(Math.max(0, months.length - 1));
    slider.disabled = months.length === 0;

    function monthText() {
      return allMonths.checked ? "" : (months[Number(slider.value)] || "");
    }

    function loadPoints() {
      clusters.clearLayers();
      if (!showPoints.checked || !config.pointsUrl) {
        map.removeLayer(clusters);
        status.textContent = "";
        return;
      }
      monthLabel.textContent = allMonths.checked ? "–" : monthText();
      var params = new URLSearchParams();
      if (monthText()) { params.set("month", monthText()); }
      Array.prototype.forEach.call(category.selectedOptions, function (o) { params.append("category", o.value); });
      if (area.value) { params.set("area", area.value); }
      status.textContent = labels.loading;
      busy(1);
      getJson(config.pointsUrl + "?" + params.toString()).then(function (data) {
        if (data.too_many) {
          status.textContent = format(labels.tooMany, { n: number(data.total), limit: number(data.limit) });
          return;
        }
        var markers = data.points.map(function (p) {
          return L.circleMarker([p[0], p[1]], { radius: 5, color: "#003366", weight: 1, fillColor: "#0066cc", fillOpacity: 0.8 })
            .bindTooltip(escapeHtml(p[2]) + " · " + escapeHtml(p[3]));
        });
        clusters.addLayers(markers);
        map.addLayer(clusters);
        status.textContent = data.total ? format(labels.shown, { n: number(data.total) }) : labels.noPoints;
        if (!fitted && markers.length && !config.boundaryUrl) {
          map.fitBounds(clusters.getBounds(), { padding: [10, 10] });
          fitted = true;
        }
      }).catch(function (err) { status.textContent = labels.error; report(err); })
        .finally(function () { busy(-1); });
    }

    function styleFor(view) {
      if (view === "gi") {
        return function (f) {
          return { color: "#5c6f82", weight: 0.3, fillColor: giColor(config.giClasses, f.properties.gi_class), fillOpacity: 0.75 };
        };
      }
      if (view === "emerging") {
        return function (f) {
          return { color: "#5c6f82", weight: 0.3, fillColor: giColor(config.emerging, f.properties.category), fillOpacity: 0.75 };
        };
      }
      if (view === "forecast") {
        return function (f) {
          return {
            color: "#4a0072", weight: 0.8, fillColor: f.properties.top1 ? "#4a0072" : "#b57edc", fillOpacity: 0.7,
            className: f.properties.explained ? "forecast-cell explained" : "forecast-cell"
          };
        };
      }
      return null;
    }

    function kdeStyle(peak) {
      return function (f) {
        var v = peak > 0 ? (f.properties.kde || 0) / peak : 0;
        return { stroke: false, fillColor: "#d7301f", fillOpacity: Math.min(0.85, 0.08 + 0.8 * v) };
      };
    }

    function popupFor(view, props) {
      var rows = [];
      if (props.count !== undefined) { rows.push([labels.count, number(props.count)]); }
      if (view === "kde") { rows.push([labels.density, number(props.kde, 1)]); }
      if (view === "gi") { rows.push([labels.giClass, props.gi_class], [labels.zScore, number(props.gi_z, 2)]); }
      if (view === "emerging") {
        var found = config.emerging.filter(function (e) { return e.value === props.category; })[0];
        rows.push([labels.pattern, found ? found.label : props.category]);
      }
      return '<dl class="why-here">' + rows.map(function (r) {
        return "<dt>" + escapeHtml(r[0]) + "</dt><dd>" + escapeHtml(r[1]) + "</dd>";
      }).join("") + "</dl>";
    }

    function rankLine(doc) {
      return "<p>" + escapeHtml(labels.rank) + " " + number(doc.rank) + (doc.of ? " " + escapeHtml(labels.of) + " " + number(doc.of) : "") +
        " · " + escapeHtml(labels.percentile) + " " + number(doc.percentile, 2) + "</p>";
    }

    function whyHere(run, props, layer) {
      if (!props.explained) {
        layer.bindPopup('<div class="why-here">' + rankLine(props) + "<p>" + escapeHtml(labels.noExplanation) + "</p></div>", POPUP).openPopup();
        return;
      }
      layer.bindPopup(labels.loading, POPUP).openPopup();
      getJson(run.explainUrl.replace("CELL", encodeURIComponent(props.cell_id))).then(function (doc) {
        var html = '<div class="why-here" data-testid="why-here"><strong>' + escapeHtml(labels.whyHere) + "</strong>";
        html += rankLine(doc);
        html += "<p class=\"mb-1\"><em>" + escapeHtml(labels.context) + "</em></p><dl>";
        Object.keys(doc.context || {}).forEach(function (k) {
          html += "<dt>" + escapeHtml(labels.terms[k] || k) + "</dt><dd>" + number(doc.context[k], 2) + "</dd>";
        });
        html += "</dl><p class=\"mb-1\"><em>" + escapeHtml(labels.parts) + "</em></p><ul>";
        (doc.parts || []).forEach(function (p) {
          var detail = (p.detail || []).map(function (d) { return labels.terms[d.name] || d.name; }).join(", ");
          var share = p.share !== undefined ? " – " + number(100 * p.share, 0) + "% " + labels.share : "";
          html += "<li>" + escapeHtml((labels.terms[p.name] || p.name) + share) +
            (detail ? "<br><small>" + escapeHtml(detail) + "</small>" : "") + "</li>";
        });
        html += "</ul></div>";
        layer.setPopupContent(html);
      }).catch(function () { layer.setPopupContent(escapeHtml(labels.noExplanation)); });
    }

    function loadOverlay(select) {
      var view = select.dataset.view;
      if (overlays[view]) { map.removeLayer(overlays[view]); delete overlays[view]; }
      delete legends[view];
      renderLegend();
      var run = config.runs.filter(function (r) { return String(r.id) === select.value; })[0];
      if (!run) { return; }
      busy(1);
      getJson(run.layerUrl + "?view=" + view).then(function (fc) {
        var style = styleFor(view);
        if (view === "kde") {
          var peak = fc.features.reduce(function (m, f) { return Math.max(m, f.properties.kde || 0); }, 0);
          style = kdeStyle(peak);
        }
        var layer = L.geoJSON(fc, {
          style: style,
          // The top cells are few: SVG paths, which keyboard and test tools can reach.
          renderer: view === "forecast" ? svgRenderer : undefined,
          onEachFeature: function (f, l) {
            if (view === "forecast") {
              l.on("click", function () { whyHere(run, f.properties, l); });
            } else {
              l.bindPopup(popupFor(view, f.properties));
            }
          }
        });
        overlays[view] = layer.addTo(map);
        if (view === "kde") { layer.bringToBack(); }
        if (view === "gi") { legends[view] = legendHtml(select.labels[0].textContent, config.giClasses); }
        if (view === "emerging") { legends[view] = legendHtml(select.labels[0].textContent, config.emerging); }
        if (view === "kde") { legends[view] = legendHtml(labels.densityLegend, [{ color: "#d7301f", label: "" }]); }
        if (view === "forecast") {
          legends[view] = legendHtml(labels.forecastLegend, [
            { color: "#4a0072", label: "1%" }, { color: "#b57edc", label: "5%" }]);
        }
        renderLegend();
        if (!fitted && !config.boundaryUrl && fc.features.length) {
          map.fitBounds(layer.getBounds());
          fitted = true;
        }
      }).catch(function (err) { status.textContent = labels.error; report(err); })
        .finally(function () { busy(-1); });
    }

    var wanted = new URLSearchParams(window.location.search).get("run");
    document.querySelectorAll("#map-controls select[data-view]").forEach(function (select) {
      var kind = select.dataset.kind;
      var runs = config.runs.filter(function (r) { return r.kind === kind; });
      var none = document.createElement("option");
      none.value = "";
      none.textContent = labels.none;
      select.appendChild(none);
      runs.forEach(function (r) {
        var o = document.createElement("option");
        o.value = String(r.id);
        o.textContent = r.label;
        select.appendChild(o);
      });
      var preferred = runs.filter(function (r) { return String(r.id) === wanted; })[0];
      if (preferred && select.dataset.view !== "kde") {
        select.value = String(preferred.id);
      } else if (!wanted && runs.length && (select.dataset.view === "gi" || select.dataset.view === "forecast")) {
        select.value = String(runs[0].id);
      }
      select.addEventListener("change", function () { loadOverlay(select); });
      if (select.value) { loadOverlay(select); }
    });

    [category, area, allMonths, showPoints].forEach(function (c) { c.addEventListener("change", loadPoints); });
    slider.addEventListener("input", function () { monthLabel.textContent = monthText(); });
    slider.addEventListener("change", function () { allMonths.checked = false; loadPoints(); });
    busy(1);
    addBoundary(map, config.boundaryUrl).finally(function () { busy(-1); loadPoints(); });
  }

  /* ---- public map ---------------------------------------------------- */
  function initPublicMap(el) {
    var config = readJson("map-config");
    var labels = readJson("map-labels");
    if (!config || !window.L) { return; }
    var map = baseMap(el);
    var legend = document.getElementById("map-legend");
    el.setAttribute("data-loaded", "false");
    addBoundary(map, config.boundaryUrl).then(function (boundary) {
      if (!config.layerUrl) { return null; }
      return getJson(config.layerUrl).then(function (fc) {
        var layer = L.geoJSON(fc, {
          style: function (f) {
            var cls = f.properties.gi_class;
            return { color: "#5c6f82", weight: 0.4, fillColor: cls > 0 ? giColor(config.giClasses, cls) : "#e3e4e6", fillOpacity: 0.75 };
          },
          onEachFeature: function (f, l) {
            l.bindPopup('<dl class="why-here"><dt>' + escapeHtml(labels.count) + "</dt><dd>" + number(f.properties.count) + "</dd></dl>");
          }
        }).addTo(map);
        if (!boundary && fc.features.length) { map.fitBounds(layer.getBounds()); }
        legend.innerHTML = legendHtml(labels.giClass, config.giClasses.filter(function (c) { return c.value > 0; }));
        return layer;
      });
    }).catch(function () { legend.textContent = labels.error; })
      .finally(function () { el.setAttribute("data-loaded", "true"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var restricted = document.getElementById("analytics-map");
    if (restricted) { initAnalyticsMap(restricted); }
    var open = document.getElementById("public-map");
    if (open) { initPublicMap(open); }
  });
})();

/* Risks pages: the risk map, a grid's map and GPS track, the sensor chart, the outline form. */
(function () {
  "use strict";
  var COLOURS = {red: "#d7191c", orange: "#f28c28", yellow: "#e6c200", blue: "#2c7bb6", purple: "#7b3294"};

  function bounded(map, layers) {
    var group = L.featureGroup(layers).addTo(map);
    if (layers.length) { map.fitBounds(group.getBounds().pad(0.2)); } else { map.setView([44.9, 82.07], 8); }
  }

  function riskMap(el) {
    var map = L.map(el), layers = [];
    JSON.parse(el.dataset.features).features.forEach(function (f) {
      var c = f.geometry.coordinates, p = f.properties;
      var m = L.circleMarker([c[1], c[0]], {radius: 8, color: COLOURS[p.colour] || "#333", fillOpacity: 0.8});
      var a = document.createElement("a"); a.href = p.link; a.textContent = p.name;
      m.bindPopup(a); layers.push(m);
    });
    JSON.parse(el.dataset.shapes).forEach(function (g) {
      var poly = L.polygon(g.polygon.map(function (p) { return [p[1], p[0]]; }), {color: "#555", weight: 1});
      var a = document.createElement("a"); a.href = g.link; a.textContent = g.name;
      poly.bindPopup(a); layers.push(poly);
    });
    bounded(map, layers);
  }

  function gridMap(el) {
    var shape = JSON.parse(el.dataset.shape), map = L.map(el), layers = [];
    var ll = function (p) { return [p[1], p[0]]; };
    if (shape.outline) { layers.push(L.polygon(shape.outline.map(ll), {color: "#999", dashArray: "4", fill: false})); }
    layers.push(L.polygon(shape.grid.map(ll), {color: "#2c7bb6"}));
    shape.tracks.forEach(function (t) { if (t.length) { layers.push(L.polyline(t.map(ll), {color: "#d7191c"})); } });
    bounded(map, layers);
  }

  function gps() {
    var button = document.getElementById("gps-start");
    if (!button) { return; }
    var field = document.getElementById("track"), status = document.getElementById("gps-status");
    var started = document.getElementById("started_at"), points = [];
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = "GPS ✗"; return; }
      started.value = new Date().toISOString();
      button.disabled = true;
      navigator.geolocation.watchPosition(function (pos) {
        points.push([pos.coords.longitude, pos.coords.latitude]);
        field.value = JSON.stringify(points);
        status.textContent = "GPS: " + points.length;
      }, function (err) { status.textContent = "GPS ✗ " + err.message; }, {enableHighAccuracy: true});
    });
  }

  function chart(el) {
    var data = JSON.parse(el.dataset.chart), labels = JSON.parse(el.dataset.labels);
    var c = echarts.init(el), marks = [];
    Object.keys(data.thresholds).forEach(function (lv) {
      if (data.thresholds[lv] !== null) {
        marks.push({yAxis: data.thresholds[lv], lineStyle: {color: COLOURS[lv]}, label: {formatter: lv}});
      }
    });
    var x = data.points.map(function (p) { return p[0]; });
    var line = function (i, name) {
      return {type: "line", name: name, showSymbol: false, data: data.points.map(function (p) { return p[i]; })};
    };
    var mean = line(2, labels.avg); mean.markLine = {symbol: "none", data: marks};
    c.setOption({tooltip: {trigger: "axis"}, legend: {}, xAxis: {type: "category", data: x},
      yAxis: {type: "value", name: data.measure}, series: [line(1, labels.min), mean, line(3, labels.max)],
      grid: {left: 48, right: 16, top: 40, bottom: 32}});
    window.addEventListener("resize", function () { c.resize(); });
  }

  function outline() {
    var form = document.getElementById("outline");
    if (!form) { return; }
    form.addEventListener("submit", function () { form.action = form.dataset.actionPrefix + form.village.value; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("risk-map"); if (el) { riskMap(el); }
    el = document.getElementById("grid-map"); if (el) { gridMap(el); }
    el = document.getElementById("sensor-chart"); if (el && window.echarts) { chart(el); }
    gps(); outline();
  });
}());

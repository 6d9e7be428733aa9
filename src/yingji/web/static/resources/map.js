// Map layers of the "near a point" page: the point, then teams, warehouses, shelters and equipment.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("near-map");
  if (!box || typeof L === "undefined") { return; }
  var data = JSON.parse(box.getAttribute("data-map") || "{}");
  var labels = JSON.parse(box.getAttribute("data-labels") || "{}");
  var centre = data.centre || [44.9, 82.0];
  // No tile server offline: the layers are drawn on a plain background with a scale.
  var map = L.map(box, { zoomControl: true }).setView(centre, data.centre ? 10 : 8);
  L.control.scale({ imperial: false }).addTo(map);
  var colours = { team: "#c0392b", warehouse: "#2c7be5", shelter: "#2e8b57", equipment: "#8e44ad" };
  var overlays = {};
  var bounds = [];
  Object.keys(data.layers || {}).forEach(function (kind) {
    var group = L.layerGroup();
    data.layers[kind].forEach(function (row) {
      var marker = L.circleMarker([row.lat, row.lon], { radius: 7, color: colours[kind] || "#333", fillOpacity: 0.7 });
      marker.bindPopup(document.createTextNode(row.name + " · " + row.distance_km + " km"));
      marker.addTo(group);
      bounds.push([row.lat, row.lon]);
    });
    group.addTo(map);
    overlays[labels[kind] || kind] = group;
  });
  if (data.centre) {
    L.marker(centre, { title: labels.point || "" }).addTo(map);
    bounds.push(centre);
  }
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  if (bounds.length > 1) { map.fitBounds(bounds, { padding: [20, 20] }); }
  box.setAttribute("data-ready", "true");
});

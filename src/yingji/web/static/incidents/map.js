/* The map of events: one circle per event, coloured by level (I red … IV blue), outlined when late or missed. */
(function () {
  "use strict";
  var box = document.getElementById("incident-map");
  if (!box || !window.L) { return; }
  var features = JSON.parse(box.dataset.features || "[]");
  var colours = { 1: "#b71c1c", 2: "#e65100", 3: "#f9a825", 4: "#1565c0", 0: "#757575" };
  var map = L.map(box, { attributionControl: false }).setView([44.9, 82.1], 8);
  var bounds = [];
  features.forEach(function (f) {
    var marker = L.circleMarker([f.lat, f.lon], { radius: 8, color: f.late ? "#000" : colours[f.level],
      weight: f.late ? 3 : 1, fillColor: colours[f.level], fillOpacity: f.status === "open" ? 0.8 : 0.3 });
    var link = document.createElement("a");
    link.href = "/incidents/" + f.id;
    link.textContent = f.title + " (" + f.at + ")";
    marker.bindPopup(link);
    marker.addTo(map);
    bounds.push([f.lat, f.lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, { maxZoom: 12, padding: [20, 20] }); }
}());

/* Public report form: tap the map (or use the device's location) to set the hidden lat/lon fields.
 * The form works without this script (choose a kelurahan instead). Data comes from the json_script
 * named by data-source (CSP-safe, no inline script). Sets data-ready="1" on the map when drawn. */
(function () {
  "use strict";
  var el = document.querySelector("[data-lapor-map]");
  if (!el || !window.L) { return; }
  var source = document.getElementById(el.getAttribute("data-source"));
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var t = data.labels || {};
  var L = window.L;
  var latInput = document.getElementById("id_lat");
  var lonInput = document.getElementById("id_lon");
  var kelSelect = document.getElementById("id_kelurahan");
  var status = document.getElementById("pin-status");

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false, tap: true });
  var areas = L.geoJSON(data.areas, {
    style: function () { return { color: "#1f4e79", weight: 1.5, fillColor: "#1f77b4", fillOpacity: 0.08 }; },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(f.properties.kecamatan, { permanent: false, direction: "center" });
    }
  }).addTo(map);
  if (areas.getLayers().length) {
    map.fitBounds(areas.getBounds(), { padding: [8, 8] });
  } else if (data.center) {
    map.setView(data.center, 12);
  } else {
    map.setView([-2.5, 118], 5);
  }

  var marker = null;
  function inside(latlng) {
    var hit = false;
    areas.eachLayer(function (layer) {
      if (!hit && layer.getBounds().contains(latlng)) { hit = true; }
    });
    return hit || !areas.getLayers().length;
  }
  function setPin(latlng, fromDevice) {
    var icon = L.divIcon({ className: "pin-marker", html: "<span></span>", iconSize: [18, 18], iconAnchor: [9, 18] });
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { icon: icon, title: t.here }).addTo(map); }
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    if (kelSelect) { kelSelect.value = ""; }
    status.textContent = (t.here || "") + ": " + latInput.value + ", " + lonInput.value +
      (inside(latlng) ? "" : " — " + (t.outside || ""));
    if (fromDevice) { map.setView(latlng, Math.max(map.getZoom(), 15)); }
  }
  map.on("click", function (e) { setPin(e.latlng, false); });
  if (latInput.value && lonInput.value) {
    setPin(L.latLng(parseFloat(latInput.value), parseFloat(lonInput.value)), true);
  }
  var btn = document.getElementById("pakai-lokasi");
  if (btn && navigator.geolocation) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      status.textContent = t.locating || "";
      navigator.geolocation.getCurrentPosition(
        function (pos) { setPin(L.latLng(pos.coords.latitude, pos.coords.longitude), true); },
        function () { status.textContent = t.no_gps || ""; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }
  el.setAttribute("data-ready", "1");
})();

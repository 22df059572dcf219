/* Public report form: tap the map (or use the device's location) to set the hidden lat/lon fields.
 * The form works without this script (choose a kelurahan instead). Data comes from the json_script
 * named by data-source (CSP-safe, no inline script). Sets data-ready="1" on the map when drawn.
 *
 * The map names the places so a citizen can find theirs: kecamatan (Polsek area) names from the whole-city
 * view, kelurahan names (when the data has kelurahan outlines: data.kelurahan) once zoomed in; each name is
 * shown only where it fits (window.K3iLabels from map.js), and every area names itself on hover/tap. After a
 * pin is placed the status line names the kelurahan (or kecamatan) the pin falls in, then the coordinates. */
(function () {
  "use strict";
  var el = document.querySelector("[data-lapor-map]");
  if (!el || !window.L) { return; }
  var source = document.getElementById(el.getAttribute("data-source"));
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var t = data.labels || {};
  var L = window.L;
  var K = window.K3iLabels;
  var latInput = document.getElementById("id_lat");
  var lonInput = document.getElementById("id_lon");
  var kelSelect = document.getElementById("id_kelurahan");
  var status = document.getElementById("pin-status");
  var words = {
    kelurahan: el.getAttribute("data-label-kelurahan") || "kelurahan",
    kecamatan: el.getAttribute("data-label-kecamatan") || "Kec."
  };

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false, tap: true });
  map.createPane("k3i-labels").style.zIndex = 450;  // names under the pin
  var kelData = data.kelurahan && data.kelurahan.features && data.kelurahan.features.length ? data.kelurahan : null;

  function label(layer, text, cls) {
    layer.bindTooltip(text, {
      permanent: true, direction: "center", className: "place-label " + cls, interactive: false, pane: "k3i-labels"
    });
  }
  var kelurahan = null;
  if (kelData) {
    kelurahan = L.geoJSON(kelData, {
      style: function () { return { color: "#36454f", weight: 0.8, opacity: 0.6, fill: false, dashArray: "3 3" }; },
      interactive: false,
      onEachFeature: function (f, layer) { label(layer, f.properties.nama, "kel-label"); }
    }).addTo(map);
  }
  var areas = L.geoJSON(data.areas, {
    style: function () { return { color: "#1f4e79", weight: 1.5, fillColor: "#1f77b4", fillOpacity: 0.08 }; },
    onEachFeature: function (f, layer) { label(layer, f.properties.kecamatan, "kec-label"); }
  }).addTo(map);
  if (areas.getLayers().length) {
    map.fitBounds(areas.getBounds(), { padding: [8, 8] });
  } else if (data.center) {
    map.setView(data.center, 12);
  } else {
    map.setView([-2.5, 118], 5);
  }

  // Names where they fit: kecamatan first (the larger first), kelurahan from one zoom step in; none covers the pin.
  var fitZoom = map.getZoom();
  var timer = null;
  function tidy() {
    if (timer !== null) { return; }
    timer = setTimeout(function () {
      timer = null;
      var z = map.getZoom();
      el.classList.toggle("kel-names", z >= fitZoom + 1);
      el.classList.toggle("kec-names-off", !!kelData && z >= fitZoom + 2.5);
      if (!K) { return; }
      K.sizeLabels(map);
      K.declutter([{ fixed: K.all(el, ".pin-marker") }, K.bigFirst(K.all(el, ".kec-label")), K.bigFirst(K.all(el, ".kel-label"))]);
    }, 60);
  }
  map.on("zoomend resize", tidy);
  tidy();

  // Which polygon holds the point (ray casting over the rings; the few polygons of one Polres are cheap).
  function inRing(x, y, ring) {
    var hit = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { hit = !hit; }
    }
    return hit;
  }
  function inPolygon(x, y, rings) {
    if (!rings.length || !inRing(x, y, rings[0])) { return false; }
    for (var h = 1; h < rings.length; h++) { if (inRing(x, y, rings[h])) { return false; } }
    return true;
  }
  function featureAt(collection, latlng) {
    var found = null;
    ((collection && collection.features) || []).some(function (f) {
      var g = f.geometry || {};
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var i = 0; i < polys.length; i++) {
        if (inPolygon(latlng.lng, latlng.lat, polys[i])) { found = f; return true; }
      }
      return false;
    });
    return found;
  }
  function placeName(latlng) {
    var kel = kelData && featureAt(kelData, latlng);
    var kec = featureAt(data.areas, latlng);
    if (kel) {
      var of = kel.properties.kecamatan || (kec && kec.properties.kecamatan);
      return words.kelurahan + " " + kel.properties.nama + (of ? " (" + of + ")" : "");
    }
    return kec ? words.kecamatan + " " + kec.properties.kecamatan : "";
  }

  var marker = null;
  function setPin(latlng, fromDevice) {
    var icon = L.divIcon({ className: "pin-marker", html: "<span></span>", iconSize: [18, 18], iconAnchor: [9, 18] });
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { icon: icon, title: t.here }).addTo(map); }
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    if (kelSelect) { kelSelect.value = ""; }
    var coords = latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
    var name = placeName(latlng);
    var outside = !name && areas.getLayers().length > 0;
    status.textContent = (t.here || "") + ": " + (name ? name + " · " : "") + coords + (outside ? " — " + (t.outside || "") : "");
    if (fromDevice) { map.setView(latlng, Math.max(map.getZoom(), 15)); }
    tidy();
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

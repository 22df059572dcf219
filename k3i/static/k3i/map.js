/* K3i jurisdiction map: Leaflet on a plain background (no tile server).
 *
 * Every element with [data-k3i-map] reads its GeoJSON layers from the <script type="application/json">
 * named by data-source (rendered by the server with json_script; no inline script, CSP-safe) and draws:
 * Polsek areas (class "polsek-area", one colour each, labelled), kelurahan outlines, Bhabinkamtibmas
 * gaps (hatched red), Pospol markers and patrol-unit home bases. When done it sets data-ready="1" and
 * data-polsek-count on the map element (the browser check waits for these).
 */
(function () {
  "use strict";

  function esc(text) {
    var d = document.createElement("div");
    d.textContent = text == null ? "" : String(text);
    return d.innerHTML;
  }

  function drawMap(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || !window.L) { return; }
    var data = JSON.parse(source.textContent);
    var t = data.labels || {};
    var L = window.L;

    var map = L.map(el, {
      attributionControl: false,
      zoomSnap: 0.25,
      scrollWheelZoom: false,  // page scrolls on phones and desks; zoom with the buttons or pinch
      tap: true
    });
    map.on("focus", function () { map.scrollWheelZoom.enable(); });
    map.on("blur", function () { map.scrollWheelZoom.disable(); });

    // 1. Polsek areas: one colour each, labelled, with a link to the Polsek page.
    var areas = L.geoJSON(data.polsek, {
      style: function (f) {
        return {
          className: "polsek-area", color: f.properties.color, weight: 2.5, opacity: 0.95,
          fillColor: f.properties.color, fillOpacity: 0.18
        };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(esc(p.kecamatan), {
          permanent: true, direction: "center", className: "polsek-label", interactive: false
        });
        layer.bindPopup(
          "<strong>" + esc(p.nama) + "</strong><br>" + esc(t.type) + " " + esc(p.tipe) + " · " +
          esc(p.kelurahan) + " " + esc(t.kelurahan_count) +
          (p.gaps ? " · <span class=\"gap-text\">" + esc(p.gaps) + " " + esc(t.gap_count) + "</span>" : "") +
          "<br><a href=\"" + esc(p.url) + "\">" + esc(t.open_polsek) + " →</a>"
        );
      }
    }).addTo(map);

    // 2. Kelurahan outlines (unfilled, so clicks inside reach the Polsek area) and 3. gaps (hatched).
    var kelurahan = L.geoJSON(data.kelurahan, {
      filter: function (f) { return !f.properties.gap; },
      style: function () {
        return { className: "kelurahan-area", color: "#36454f", weight: 0.8, opacity: 0.55, fill: false, dashArray: "3 3" };
      }
    }).addTo(map);
    var gaps = L.geoJSON(data.kelurahan, {
      filter: function (f) { return f.properties.gap; },
      style: function () {
        return { className: "kelurahan-area gap-area", color: "#d32f2f", weight: 1.5, fillColor: "#d32f2f", fillOpacity: 0.35 };
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(
          "<strong>" + esc(f.properties.nama) + "</strong><br><span class=\"gap-text\">" + esc(t.no_bhabin) + "</span>"
        );
      }
    }).addTo(map);

    // 4. Pospol and 5. patrol-unit home bases.
    var pospol = L.geoJSON(data.pospol, {
      pointToLayer: function (f, latlng) {
        return L.marker(latlng, {
          icon: L.divIcon({ className: "pospol-marker", html: "<span>P</span>", iconSize: [18, 18] }),
          title: f.properties.nama, keyboard: false
        });
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup("<strong>" + esc(f.properties.nama) + "</strong><br>" + esc(f.properties.kelurahan));
      }
    }).addTo(map);
    var units = L.geoJSON(data.units, {
      pointToLayer: function (f, latlng) {
        var n = f.properties.callsigns.length;
        return L.marker(latlng, {
          icon: L.divIcon({ className: "unit-marker", html: "<span>" + n + "</span>", iconSize: [22, 22] }),
          keyboard: false, zIndexOffset: 500
        });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(
          "<strong>" + esc(p.home) + "</strong><br>" + esc(p.callsigns.length) + " " + esc(t.units_here) +
          "<ul class=\"popup-list\"><li>" + p.callsigns.map(esc).join("</li><li>") + "</li></ul>"
        );
      }
    }).addTo(map);

    var overlays = {};
    overlays[esc(t.polsek_areas)] = areas;
    overlays[esc(t.kelurahan)] = kelurahan;
    overlays[esc(t.gaps)] = gaps;
    overlays[esc(t.pospol)] = pospol;
    overlays[esc(t.units)] = units;
    L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

    var bounds = areas.getBounds();
    if (!bounds.isValid()) { bounds = kelurahan.getBounds().extend(gaps.getBounds()); }
    if (!bounds.isValid()) { bounds = pospol.getBounds().extend(units.getBounds()); }
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [8, 8] });
    } else {
      map.setView([-2.5, 118], 4);  // Indonesia
      var note = document.createElement("p");
      note.className = "map-empty";
      note.textContent = t.no_boundaries || "";
      el.appendChild(note);
    }
    // Labels only when there is room for them.
    function toggleLabels() {
      var z = map.getZoom();
      el.classList.toggle("labels-hidden", z < 11);
      el.classList.toggle("zoom-low", z < 12.5);
    }
    map.on("zoomend", toggleLabels);
    toggleLabels();

    el.setAttribute("data-polsek-count", String(areas.getLayers().length));
    el.setAttribute("data-ready", "1");
    el.k3iMap = map;
  }

  function init() {
    var maps = document.querySelectorAll("[data-k3i-map]");
    for (var i = 0; i < maps.length; i++) { drawMap(maps[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

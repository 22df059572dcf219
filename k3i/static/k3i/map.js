/* K3i jurisdiction map: Leaflet on a plain background (no tile server).
 *
 * Every element with [data-k3i-map] reads its GeoJSON layers from the <script type="application/json">
 * named by data-source (rendered by the server with json_script; no inline script, CSP-safe) and draws:
 * Polsek areas (class "polsek-area", one colour each, labelled), kelurahan outlines, Bhabinkamtibmas
 * gaps (hatched red), Pospol markers and patrol-unit home bases. When done it sets data-ready="1" and
 * data-polsek-count on the map element (the browser check waits for these).
 *
 * Permanent labels (Polsek names, unit callsigns drawn by room.js) show only where they fit: after every
 * zoom, resize or marker change the labels that would overlap an incident marker or a label placed before
 * them get the class "k3i-hide" (window.K3iLabels.declutter, also used by the /lapor/ map). On a narrow map
 * (a phone) unit callsigns wait until the map is zoomed in past the whole-Polres view (class "compact");
 * markers and their popups stay at every zoom.
 */
(function () {
  "use strict";

  function esc(text) {
    var d = document.createElement("div");
    d.textContent = text == null ? "" : String(text);
    return d.innerHTML;
  }

  // --- labels where they fit ----------------------------------------------------------------------

  function box(node, pad) {
    var r = node.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { return null; }  // not displayed (a zoom rule hides it)
    return { l: r.left - pad, t: r.top - pad, r: r.right + pad, b: r.bottom + pad };
  }
  function hits(a, list) {
    for (var i = 0; i < list.length; i++) {
      var b = list[i];
      if (a.l < b.r && a.r > b.l && a.t < b.b && a.b > b.t) { return true; }
    }
    return false;
  }
  // Show the labels of each group in order as long as they overlap nothing shown before them; hide the rest.
  // groups: arrays of label nodes, most important first, or {fixed: nodes}: markers that the labels of the
  // later groups must not cover (never hidden themselves).
  function declutter(groups) {
    var taken = [];
    groups.forEach(function (nodes) {
      if (nodes.fixed) {
        nodes.fixed.forEach(function (n) { var b = box(n, 0); if (b) { taken.push(b); } });
        return;
      }
      nodes.forEach(function (n) {
        n.classList.remove("k3i-hide");
        var b = box(n, 1);
        if (!b) { return; }
        if (hits(b, taken)) { n.classList.add("k3i-hide"); } else { taken.push(b); }
      });
    });
  }
  function all(el, selector) { return Array.prototype.slice.call(el.querySelectorAll(selector)); }
  function bigFirst(nodes) {
    // Polsek labels: the larger the area, the earlier its name is placed (small central areas yield).
    return nodes.map(function (n) { return { n: n, a: n.k3iArea || 0 }; })
      .sort(function (x, y) { return y.a - x.a; }).map(function (x) { return x.n; });
  }
  // Each permanent tooltip of an area remembers the area's size on screen (for bigFirst).
  function sizeLabels(map) {
    map.eachLayer(function (layer) {
      var tip = layer.getTooltip && layer.getTooltip();
      var node = tip && tip.getElement && tip.getElement();
      if (node && layer.getBounds) {
        var b = layer.getBounds();
        var ne = map.latLngToLayerPoint(b.getNorthEast()), sw = map.latLngToLayerPoint(b.getSouthWest());
        node.k3iArea = Math.abs((ne.x - sw.x) * (ne.y - sw.y));
      }
    });
  }
  // A debounced tidier for one map: units at work keep their callsign first (it may sit by its incident),
  // then Polsek names, which do not cover incident markers, then the callsigns of free units, which cover
  // neither incidents nor unit dots.
  function labelTidier(el, map) {
    var timer = null;
    function run() {
      timer = null;
      sizeLabels(map);
      declutter([
        all(el, ".unit-live:not(.st-tersedia):not(.is-stale) .unit-call"),
        { fixed: all(el, ".inc-marker span") },
        bigFirst(all(el, ".polsek-label")),
        { fixed: all(el, ".unit-dot") },
        all(el, ".unit-live.st-tersedia .unit-call, .unit-live.is-stale .unit-call")
      ]);
    }
    return function () {
      if (timer === null) { timer = setTimeout(run, 60); }
    };
  }
  window.K3iLabels = { declutter: declutter, all: all, bigFirst: bigFirst, sizeLabels: sizeLabels };

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
    // Polsek names: over the unit dots on a wide map (they never cover an incident: see declutter), under
    // all markers on a phone at the whole-Polres view, where the dots are what must stay readable.
    var labelPane = map.createPane("k3i-labels");

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
          permanent: true, direction: "center", className: "polsek-label", interactive: false, pane: "k3i-labels"
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
    var fitZoom = map.getZoom();
    function toggleLabels() {
      var z = map.getZoom();
      el.classList.toggle("labels-hidden", z < 11);
      el.classList.toggle("zoom-low", z < 12.5);
      var compact = el.clientWidth < 700 && z < fitZoom + 1;
      el.classList.toggle("compact", compact);
      labelPane.style.zIndex = compact ? 450 : 620;
    }
    var tidy = labelTidier(el, map);
    map.on("zoomend", function () { toggleLabels(); tidy(); });
    map.on("resize layeradd layerremove", tidy);
    toggleLabels();
    tidy();

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

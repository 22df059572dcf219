/* K3i operations room: live map, queues, incident page, call-taker screen, officer's phone view.
 *
 * No inline script (CSP "script-src 'self'"): the pages hand data over with json_script and data-*.
 *  - [data-stream]          the live feed (/ops/stream, server-sent events, resumed with Last-Event-ID),
 *                           one connection per browser shared by its tabs (this file also runs as the
 *                           feed's SharedWorker)
 *  - [data-live-status]     shows whether the feed is connected (and, in data-live-mode, how: worker, leader, own)
 *  - [data-room-refresh]    "kejadian. penugasan." — re-read this part (HTMX, event "k3i-refresh") when an
 *                           event of those kinds arrives; data-refresh-incident limits it to one incident,
 *                           data-refresh-unit the unit.* events to one unit (the officer's own: a task on
 *                           an incident outside their territory reaches them as their unit's status change)
 *  - [data-deadline]        a live countdown to a target time ("sisa 0:42" / "lewat 1:13")
 *  - [data-room-map]        the live map: incidents by priority, units by state (drawn over map.js)
 *  - [data-intake]          the 110 call-taker form: triage as you type, map click, Ctrl+Enter saves
 *  - [data-locate]          the incident page's location form: a kelurahan from the list or a map click
 * The live map sets data-live-ready="1" on its map element once drawn (the browser check waits for it).
 */
(function () {
  "use strict";

  var KINDS = [
    "kejadian.baru", "kejadian.diperbarui", "kejadian.eskalasi", "penugasan.baru", "penugasan.status",
    "unit.posisi", "unit.status", "unit.diperbarui", "sla.terlewati"
  ];
  var OPEN = { baru: 1, diverifikasi: 1, ditugaskan: 1, ditangani: 1 };
  var clockOffset = 0;  // server time − browser time (ms)

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function now() { return Date.now() + clockOffset; }
  function esc(text) {
    var d = document.createElement("div");
    d.textContent = text == null ? "" : String(text);
    return d.innerHTML;
  }
  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }
  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // --- the live feed ------------------------------------------------------------------------------
  //
  // One connection to /ops/stream per browser, shared by all its K3i tabs:
  //  1. a SharedWorker (this same file, run as a worker: sharedWorkerMain) holds the EventSource;
  //  2. else the tabs elect a leader with a Web Lock; it holds the EventSource and passes every event on
  //     through a BroadcastChannel (a leader about to be frozen hands over at once; a visible tab that
  //     hears nothing for a while takes over from a leader that stopped without notice);
  //  3. else, or when the worker fails, each tab opens its own EventSource, as before.
  // Each tab keeps the id of the last event it has and drops repeats, and a page starts after the id its
  // server-rendered data ended with (?last_event_id= of data-stream). The shared connection is reopened
  // (from the smallest id a tab still needs) whenever a tab joins: so no tab misses an event, and the
  // server filters by the session of the newest page (all tabs of a browser share one session; after a
  // logout and a login as someone else, no new page receives what the old session was allowed to see).

  var LIVE_PROTOCOL = "k3i-live-1";  // name of the shared worker, lock and channel (change with the messages)
  var SELF_URL = typeof document !== "undefined" && document.currentScript ? document.currentScript.src : "";
  var listeners = [];
  function onEvent(fn) { listeners.push(fn); }

  function lower(a, b) {  // the smaller id; null means "from now on" (no id)
    if (a == null) { return b; }
    if (b == null) { return a; }
    return Math.min(a, b);
  }

  // One EventSource, reopened from an earlier id when a tab joins. emit({t: "ev", id, kind, data}) for each
  // event, emit({t: "state", on}) when the connection opens or breaks (the browser reconnects by itself
  // with Last-Event-ID).
  function LiveSource(base, emit) {
    var source = null, pos = null, open = false, timer = null, want = null, pending = false;
    function start(from) {
      if (source) { source.close(); }
      open = false;
      pos = from;
      var url = from == null ? base : base + (base.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + from;
      var es = source = new EventSource(url, { withCredentials: true });
      es.onopen = function () { if (es === source) { open = true; emit({ t: "state", on: true }); } };
      es.onerror = function () { if (es === source) { open = false; emit({ t: "state", on: false }); } };
      KINDS.forEach(function (kind) {
        es.addEventListener(kind, function (e) {
          if (es !== source) { return; }
          var id = /^\d+$/.test(e.lastEventId || "") ? Number(e.lastEventId) : null;
          if (id != null) { pos = id; }
          emit({ t: "ev", id: id, kind: kind, data: e.data });
        });
      });
    }
    return {
      join: function (from) {
        var need = lower(pos, from);
        if (source && need == null && !pending) { return; }  // no id known to resume from: keep the connection
        want = pending ? lower(want, need) : need;
        pending = true;
        clearTimeout(timer);
        // several tabs joining at once (a restored session) share one reopening
        timer = setTimeout(function () { pending = false; start(want); }, source ? 50 : 0);
      },
      isOpen: function () { return open; },
      close: function () {
        clearTimeout(timer);
        pending = false;
        if (source) { source.close(); }
        source = null;
        open = false;
      }
    };
  }

  // The shared worker: one LiveSource per stream URL for all the ports (tabs) that joined it.
  function sharedWorkerMain(scope) {
    var feeds = {};
    scope.onconnect = function (e) {
      var port = e.ports[0], me = null, feed = null;
      function leave() {
        if (!feed) { return; }
        feed.clients = feed.clients.filter(function (c) { return c !== me; });
        if (!feed.clients.length) { feed.source.close(); delete feeds[feed.base]; }
        feed = me = null;
      }
      port.onmessage = function (m) {
        var d = m.data || {};
        if (d.t === "join") {
          if (typeof EventSource === "undefined") { port.postMessage({ t: "unsupported" }); return; }
          leave();
          feed = feeds[d.base] || (feeds[d.base] = newFeed(d.base));
          me = { port: port, seen: d.from };
          feed.clients.push(me);
          feed.source.join(d.from);
          if (feed.source.isOpen()) { port.postMessage({ t: "state", on: true }); }
        } else if (d.t === "leave") {
          leave();
        }
      };
    };
    function newFeed(base) {
      var feed = { base: base, clients: [] };
      feed.source = LiveSource(base, function (msg) {
        feed.clients.forEach(function (c) {
          if (msg.t === "ev" && msg.id != null) {
            if (c.seen != null && msg.id <= c.seen) { return; }
            c.seen = msg.id;
          }
          c.port.postMessage(msg);
        });
      });
      return feed;
    }
  }

  function viaSharedWorker(feed, fallback) {
    if (!window.SharedWorker || !SELF_URL) { return false; }
    var worker;
    try { worker = new SharedWorker(SELF_URL, { name: LIVE_PROTOCOL }); } catch (err) { return false; }
    var port = worker.port, failed = false;
    function fail() {
      if (failed) { return; }
      failed = true;
      try { port.postMessage({ t: "leave" }); port.close(); } catch (err) { /* gone already */ }
      fallback();
    }
    worker.onerror = fail;  // the worker could not start: go on without it
    port.onmessage = function (m) {
      var d = m.data || {};
      if (failed) { return; }
      if (d.t === "ev") { feed.deliver(d.id, d.kind, d.data); }
      else if (d.t === "state") { feed.state(d.on); }
      else if (d.t === "unsupported") { fail(); }
    };
    function join() { if (!failed) { port.postMessage({ t: "join", base: feed.base, from: feed.seen() }); } }
    join();
    window.addEventListener("pagehide", function () { if (!failed) { port.postMessage({ t: "leave" }); } });
    window.addEventListener("pageshow", function (e) { if (e.persisted) { join(); } });
    return true;
  }

  function viaLeader(feed) {
    if (!window.BroadcastChannel || !navigator.locks || !window.EventSource) { return false; }
    var name = LIVE_PROTOCOL + " " + feed.base;
    var channel = new BroadcastChannel(name);
    var source = null, stopLeading = null, heard = Date.now(), gone = false, frozen = false;
    var queue = new AbortController();  // withdraws this tab's waiting lock requests when it is frozen
    function send(msg) { try { channel.postMessage(msg); } catch (err) { /* channel closed */ } }
    function hello() { send({ t: "hello", from: feed.seen() }); }
    channel.onmessage = function (m) {
      var d = m.data || {};
      heard = Date.now();
      if (d.t === "ev") { feed.deliver(d.id, d.kind, d.data); }
      else if (d.t === "state") { feed.state(d.on); }
      else if (d.t === "leader") { hello(); }
      else if (d.t === "hello" && source) {
        source.join(d.from);
        if (source.isOpen()) { send({ t: "state", on: true }); }
      }
    };
    function lead() {
      return new Promise(function (release) {
        if (gone || frozen) { release(); return; }
        source = LiveSource(feed.base, function (msg) {
          if (msg.t === "ev") { feed.deliver(msg.id, msg.kind, msg.data); } else { feed.state(msg.on); }
          send(msg);
        });
        source.join(feed.seen());
        var beat = setInterval(function () { send({ t: "beat" }); }, 5000);
        send({ t: "leader" });  // the others answer with the id they need
        stopLeading = function () {
          clearInterval(beat);
          if (source) { source.close(); }
          source = stopLeading = null;
          release();
        };
      });
    }
    function campaign(steal) {
      navigator.locks.request(name, steal ? { steal: true } : { signal: queue.signal }, lead).catch(function () {
        // the lock was taken from this tab (it looked frozen), or this tab withdrew (frozen): give up the
        // connection, queue again unless frozen (it queues again when resumed)
        if (stopLeading) { stopLeading(); }
        if (!gone && !frozen) { campaign(false); }
      });
    }
    campaign(false);
    hello();
    // A leader that stays silent (a frozen background tab) is replaced by the tab the user is looking at.
    setInterval(function () {
      if (!source && !gone && document.visibilityState === "visible" && Date.now() - heard > 20000) {
        heard = Date.now();
        campaign(true);
      }
    }, 5000);
    window.addEventListener("pagehide", function () {
      gone = true;
      if (stopLeading) { stopLeading(); }
    });
    window.addEventListener("pageshow", function (e) {
      if (e.persisted) { gone = false; heard = Date.now(); campaign(false); hello(); }
    });
    // The browser freezes background tabs (Page Lifecycle): a frozen leader would keep the lock and a dead
    // connection, and the other tabs would hear nothing until the 20 s above. So, just before the freeze,
    // close the connection, let go of the lock and leave the queue (a frozen tab must not be granted it);
    // queue again when resumed.
    document.addEventListener("freeze", function () {
      frozen = true;
      queue.abort();
      if (stopLeading) { stopLeading(); }
    });
    document.addEventListener("resume", function () {
      if (!frozen) { return; }
      frozen = false;
      queue = new AbortController();
      heard = Date.now();
      if (!gone) { campaign(false); hello(); }
    });
    return true;
  }

  function viaOwnSource(feed) {
    if (!window.EventSource) { return; }
    var source = LiveSource(feed.base, function (msg) {
      if (msg.t === "ev") { feed.deliver(msg.id, msg.kind, msg.data); } else { feed.state(msg.on); }
    });
    source.join(feed.seen());
    window.addEventListener("pagehide", function () { source.close(); });
    window.addEventListener("pageshow", function (e) { if (e.persisted) { source.join(feed.seen()); } });
  }

  function connect(url) {
    if (!url) { return; }
    var status = $("[data-live-status]");
    var text = status ? $("[data-live-text]", status) : null;
    var wasDown = false;
    function show(on) {
      if (!status) { return; }
      status.classList.toggle("is-on", on);
      status.classList.toggle("is-off", !on);
      if (text) { text.textContent = status.getAttribute(on ? "data-label-on" : "data-label-off") || ""; }
    }
    var u = new URL(url, window.location.href);
    var first = u.searchParams.get("last_event_id");
    u.searchParams.delete("last_event_id");
    var seen = /^\d+$/.test(first || "") ? Number(first) : null;
    var feed = {
      base: u.href,
      seen: function () { return seen; },
      deliver: function (id, kind, data) {
        if (id != null) {
          if (seen != null && id <= seen) { return; }  // already here (a shared connection reopened earlier)
          seen = id;
        }
        var payload;
        try { payload = JSON.parse(data); } catch (err) { return; }
        listeners.forEach(function (fn) { fn(kind, payload); });
      },
      state: function (on) {
        show(on);
        if (on && wasDown) { listeners.forEach(function (fn) { fn("k3i.tersambung", {}); }); }
        wasDown = !on;
      }
    };
    function mode(name) { if (status) { status.setAttribute("data-live-mode", name); } }
    function withoutWorker() {
      if (viaLeader(feed)) { mode("leader"); } else { viaOwnSource(feed); mode("own"); }
    }
    if (viaSharedWorker(feed, withoutWorker)) { mode("worker"); } else { withoutWorker(); }
  }

  // --- parts re-read on events (HTMX) ---------------------------------------------------------

  function incidentOf(kind, p) {
    if (kind.indexOf("kejadian.") === 0) { return p.id; }
    return p.incident_id != null ? p.incident_id : (p.incident != null ? p.incident : null);
  }

  function setupRefresh() {
    $all("[data-room-refresh]").forEach(function (el) {
      var prefixes = el.getAttribute("data-room-refresh").split(/\s+/).filter(Boolean);
      var only = el.getAttribute("data-refresh-incident");
      var onlyUnit = el.getAttribute("data-refresh-unit");
      var refresh = debounce(function () {
        if (window.htmx) { window.htmx.trigger(el, "k3i-refresh"); }
      }, 400);
      onEvent(function (kind, p) {
        if (kind === "k3i.tersambung") { refresh(); return; }
        var match = prefixes.some(function (x) { return kind.indexOf(x) === 0; });
        if (!match) { return; }
        if (onlyUnit && kind.indexOf("unit.") === 0) {
          var unitId = p && (p.unit_id != null ? p.unit_id : p.id);
          if (String(unitId) !== onlyUnit) { return; }
        }
        if (only) {
          var id = incidentOf(kind, p);
          if (id != null && String(id) !== only) { return; }
        }
        refresh();
      });
    });
  }

  // --- live alerts: targets missed and escalations (for the supervisor) -------------------------

  function setupAlerts() {
    var box = $("[data-live-alerts]");
    if (!box) { return; }
    var url = box.getAttribute("data-incident-url") || "";
    var closeLabel = box.getAttribute("data-label-close") || "×";
    onEvent(function (kind, p) {
      if (kind !== "sla.terlewati" && kind !== "kejadian.eskalasi") { return; }
      var li = document.createElement("li");
      li.className = "live-alert" + (kind === "kejadian.eskalasi" ? " is-escalation" : "");
      var text = p.pesan || (kind + " " + (p.number || ""));
      li.innerHTML = "<a href=\"" + esc(url.replace(/\/0\/$/, "/" + p.id + "/")) + "\">" + esc(text) + "</a>" +
        "<button type=\"button\" class=\"live-alert-close\" aria-label=\"" + esc(closeLabel) + "\">×</button>";
      li.querySelector("button").addEventListener("click", function () { li.remove(); });
      box.insertBefore(li, box.firstChild);
      while (box.children.length > 5) { box.removeChild(box.lastChild); }
      setTimeout(function () { li.remove(); }, 120000);
    });
  }

  // --- countdowns ---------------------------------------------------------------------------------

  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(r).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function tick() {
    var t = now();
    $all("[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-deadline")) - t;
      var over = left < 0;
      el.textContent = (over ? el.getAttribute("data-label-over") : el.getAttribute("data-label-left")) + " " + fmt(left);
      el.classList.toggle("is-over", over);
      el.classList.toggle("is-near", !over && left < 30000);
      var item = el.closest(".queue-item");
      if (item) { item.classList.toggle("is-overdue", over); }
    });
  }

  // --- the live map ---------------------------------------------------------------------------

  function LiveMap(el, data) {
    var L = window.L;
    var map = el.k3iMap;
    var t = data.labels || {};
    var incidentUrl = data.incident_url;  // ".../kejadian/0/"
    var staleMs = (data.stale_minutes || 30) * 60000;
    var incidents = {}, units = {};
    var incLayer = L.layerGroup().addTo(map);
    var unitLayer = L.layerGroup().addTo(map);
    var list = $("[data-incident-list]");
    var empty = $("[data-empty-list]");

    function urlFor(id) { return incidentUrl.replace(/\/0\/$/, "/" + id + "/"); }
    function where(i) {
      if (i.lat != null && i.lon != null) { return { ll: [i.lat, i.lon], approx: false }; }
      var p = i.kelurahan && data.kelurahan_points[i.kelurahan];
      return p ? { ll: p, approx: true } : null;
    }
    function catName(code) { return (data.categories || {})[code] || code; }
    function statusName(code) { return (data.statuses || {})[code] || code; }

    function incidentIcon(i, approx, fresh) {
      var cls = "inc-marker inc-p" + i.priority + (approx ? " inc-approx" : "") + (i.escalated ? " inc-escalated" : "") + (i.overdue ? " inc-overdue" : "") +
        (fresh ? " is-new" : "");
      // Reports placed at the same kelurahan centre are fanned out a little so that each stays visible.
      var spread = approx ? [((i.id % 5) - 2) * 7, ((Math.floor(i.id / 5) % 3) - 1) * 7] : [0, 0];
      return L.divIcon({
        className: cls, iconSize: [26, 26], iconAnchor: [13 + spread[0], 13 + spread[1]],
        html: "<span data-incident-id=\"" + esc(i.id) + "\" data-priority=\"" + esc(i.priority) + "\"><b>" + esc(i.priority) + "</b></span>"
      });
    }
    function popup(i, approx) {
      return "<strong>P" + esc(i.priority) + " · " + esc(i.category_name || catName(i.category)) + "</strong><br>" +
        "<span class=\"mono\">" + esc(i.number) + "</span> · " + esc(statusName(i.status)) +
        (approx ? "<br><em>" + esc(t.approx) + "</em>" : "") +
        "<br><a href=\"" + esc(urlFor(i.id)) + "\">" + esc(t.open_incident) + " →</a>";
    }
    function putIncident(i, fresh) {
      var old = incidents[i.id];
      if (old) {
        incLayer.removeLayer(old.marker);
        i = Object.assign({}, old.data, i);
      }
      delete incidents[i.id];
      if (!OPEN[i.status]) { return; }
      var w = where(i);
      var marker = null;
      if (w) {
        marker = L.marker(w.ll, {
          icon: incidentIcon(i, w.approx, fresh), keyboard: false,
          zIndexOffset: 2000 + (5 - i.priority) * 100, title: i.number
        }).bindPopup(popup(i, w.approx));
        incLayer.addLayer(marker);
      }
      incidents[i.id] = { data: i, marker: marker || L.layerGroup() };
    }

    // Stale: the last reported position is too old. A unit that never reported is not stale: its home
    // base stands in for it (drawn hollow).
    function isStale(u) {
      if (!u.position_at) { return false; }
      return now() - Date.parse(u.position_at) > staleMs;
    }
    function unitIcon(u) {
      var cls = "unit-live st-" + u.status + (u.stale ? " is-stale" : "") + (u.has_position ? "" : " no-pos");
      return L.divIcon({
        className: cls, iconSize: null, iconAnchor: [9, 9],
        html: "<span class=\"unit-dot\" data-unit-id=\"" + esc(u.id) + "\"></span><span class=\"unit-call\">" + esc(u.callsign) + "</span>"
      });
    }
    function unitPopup(u) {
      var when = u.position_at ? new Date(u.position_at).toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" }) : "";
      return "<strong class=\"mono\">" + esc(u.callsign) + "</strong><br>" + esc(u.status_label || u.status) +
        (u.incident_id ? "<br>" + esc(t.assigned_to) + " <a href=\"" + esc(urlFor(u.incident_id)) + "\">#" + esc(u.incident_id) + "</a>" : "") +
        "<br><span class=\"muted\">" + (u.has_position ? esc(t.last_position) + " " + esc(when) : esc(t.no_position)) + "</span>" +
        (u.stale && u.has_position ? " · <span class=\"gap-text\">" + esc(t.stale) + "</span>" : "");
    }
    function putUnit(u) {
      var old = units[u.id];
      if (old) { unitLayer.removeLayer(old.marker); u = Object.assign({}, old.data, u); }
      delete units[u.id];
      u.stale = isStale(u);
      if (u.lat == null || u.lon == null) { units[u.id] = { data: u, marker: L.layerGroup() }; return; }
      var marker = L.marker([u.lat, u.lon], {
        icon: unitIcon(u), keyboard: false, zIndexOffset: u.stale ? 0 : 1000, title: u.callsign
      }).bindPopup(unitPopup(u));
      unitLayer.addLayer(marker);
      units[u.id] = { data: u, marker: marker };
    }

    function counts() {
      var c = { p1: 0, incidents: 0, available: 0, stale: 0 };
      Object.keys(incidents).forEach(function (k) {
        c.incidents += 1;
        if (incidents[k].data.priority === 1) { c.p1 += 1; }
      });
      Object.keys(units).forEach(function (k) {
        var u = units[k].data;
        if (u.stale) { c.stale += 1; } else if (u.status === "tersedia") { c.available += 1; }
      });
      Object.keys(c).forEach(function (k) {
        var n = $("[data-count=\"" + k + "\"]");
        if (n) { n.textContent = String(c[k]); }
      });
    }
    function renderList() {
      if (!list) { return; }
      var rows = Object.keys(incidents).map(function (k) { return incidents[k].data; });
      rows.sort(function (a, b) { return a.priority - b.priority || Date.parse(b.created_at) - Date.parse(a.created_at); });
      list.innerHTML = rows.slice(0, 200).map(function (i) {
        return "<li class=\"feed-item prio-" + esc(i.priority) + "\" data-incident-id=\"" + esc(i.id) + "\">" +
          "<a href=\"" + esc(urlFor(i.id)) + "\"><span class=\"prio-badge prio-" + esc(i.priority) + "\">P" + esc(i.priority) + "</span> " +
          "<span class=\"feed-main\"><strong>" + esc(i.category_name || catName(i.category)) + "</strong>" +
          "<span class=\"muted small mono\">" + esc(i.number) + " · " + esc(statusName(i.status)) + "</span></span></a></li>";
      }).join("");
      if (empty) { empty.hidden = rows.length > 0; }
    }
    var refreshViews = debounce(function () { counts(); renderList(); }, 150);

    function load(snapshot, replace) {
      if (replace) {
        incLayer.clearLayers(); unitLayer.clearLayers(); incidents = {}; units = {};
      }
      (snapshot.incidents || []).forEach(function (i) { putIncident(i, false); });
      (snapshot.units || []).forEach(function (u) { putUnit(u); });
      refreshViews();
    }
    var resync = debounce(function () {
      fetch(data.data_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (snap) { if (snap) { load(snap, true); } })
        .catch(function () { /* the next event or reconnect tries again */ });
    }, 1500);

    function unitFrom(p) {
      var id = p.unit_id != null ? p.unit_id : p.id;
      var u = { id: id };
      var last = p.positions && p.positions.length ? p.positions[p.positions.length - 1] : p;
      var lat = last.lat != null ? last.lat : last.last_lat, lon = last.lon != null ? last.lon : last.last_lon;
      if (lat != null && lon != null) { u.lat = lat; u.lon = lon; u.has_position = true; }
      var at = last.device_time || last.position_at || last.last_position_at;
      if (at) { u.position_at = at; }
      if (p.status) { u.status = p.status; }
      if (p.status_label) { u.status_label = p.status_label; }
      if (p.status && data.unit_statuses && data.unit_statuses[p.status]) { u.status_label = data.unit_statuses[p.status]; }
      if (p.callsign) { u.callsign = p.callsign; }
      return u;
    }

    onEvent(function (kind, p) {
      if (kind === "k3i.tersambung") { resync(); return; }
      if (kind.indexOf("kejadian.") === 0 && p.id != null) {
        var i = Object.assign({}, p);
        if (kind === "kejadian.eskalasi") { i.escalated = true; }
        if (!i.category_name) { i.category_name = catName(i.category); }
        putIncident(i, kind === "kejadian.baru");
        refreshViews();
      } else if (kind.indexOf("unit.") === 0) {
        var u = unitFrom(p);
        if (u.id == null) { return; }
        if (!units[u.id]) { resync(); return; }  // a unit this page did not know (new, or now in scope)
        if (!u.status_label && u.status && u.status !== units[u.id].data.status) { u.status_label = u.status; resync(); }
        putUnit(u);
        refreshViews();
      } else if (kind.indexOf("penugasan.") === 0) {
        resync();  // unit ↔ incident links and unit states follow the assignment
      } else if (kind === "sla.terlewati") {
        var id = p.incident_id != null ? p.incident_id : p.id;
        if (id != null && incidents[id]) { putIncident({ id: id, overdue: true }, false); }
      }
    });

    // Staleness moves with time even without events.
    setInterval(function () {
      Object.keys(units).forEach(function (k) {
        var u = units[k].data;
        if (isStale(u) !== u.stale) { putUnit({ id: u.id }); }
      });
      counts();
    }, 30000);

    load(data, false);
    el.setAttribute("data-live-ready", "1");
  }

  function setupLiveMap(holder) {
    var el = document.getElementById(holder.getAttribute("data-room-map"));
    var data = readJSON(holder.getAttribute("data-live-source"));
    if (!el || !data || !window.L) { return; }
    if (el.k3iMap) { LiveMap(el, data); return; }
    // map.js draws on DOMContentLoaded before us; wait for it if it has not yet.
    var tries = 0;
    var wait = setInterval(function () {
      tries += 1;
      if (el.k3iMap) { clearInterval(wait); LiveMap(el, data); } else if (tries > 100) { clearInterval(wait); }
    }, 50);
  }

  // --- the 110 call-taker screen ----------------------------------------------------------------

  function setupIntake(form) {
    var text = $("[data-text]", form);
    var hint = $("[data-triage-hint]", form);
    var category = $("[data-field=category]", form);
    var priority = $("[data-field=priority]", form);
    var location = $("[data-location]", form);
    var latIn = $("[data-lat]", form), lonIn = $("[data-lon]", form);
    var pickedText = $("[data-picked-text]", form);
    var url = form.getAttribute("data-triage-url");
    var seq = 0;

    function manual(name) { return $("[data-manual=" + name + "]", form).value === "1"; }
    [category, priority].forEach(function (sel) {
      sel.addEventListener("change", function () {
        $("[data-manual=" + sel.getAttribute("data-field") + "]", form).value = sel.value ? "1" : "";
      });
    });

    var triage = debounce(function () {
      var value = text.value.trim();
      if (value.length < 4) { hint.textContent = ""; return; }
      var mine = ++seq;
      fetch(url + "?text=" + encodeURIComponent(value.slice(0, 5000)), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (res) {
        if (!res || mine !== seq) { return; }
        if (!manual("category")) { category.value = res.category; }
        if (!manual("priority")) { priority.value = String(res.priority); }
        var words = ((res.explanation || {}).words || []).slice(0, 4).map(function (w) { return w.word; });
        hint.innerHTML = "<span class=\"muted\">" + esc(hint.getAttribute("data-label") || "") + ":</span> " +
          "<strong>" + esc(res.category_name) + "</strong> · P" + esc(res.priority) + " " +
          esc(res.priority_name) + " · " + Math.round(res.confidence * 100) + "%" +
          (words.length ? " — <span class=\"muted\">" + esc(words.join(", ")) + "</span>" : "");
        hint.classList.add("is-shown");
      }).catch(function () { /* the server decides when saving */ });
    }, 300);
    text.addEventListener("input", triage);
    if (text.value) { triage(); }

    // Ctrl+Enter (⌘+Enter) saves from any field.
    document.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
    form.addEventListener("submit", function () {
      var btn = $("button[type=submit]", form);
      if (form.getAttribute("data-sending")) { return; }
      form.setAttribute("data-sending", "1");
      setTimeout(function () { if (btn) { btn.disabled = true; } }, 0);
    });

    // The map: a click sets the point (and the kelurahan under it); typing a place clears the point.
    var mapEl = $("[data-intake-map]");
    var data = mapEl ? readJSON(mapEl.getAttribute("data-source")) : null;
    if (!mapEl || !data || !window.L) { return; }
    var picker = PickMap(mapEl, data, function (latlng, kel) {
      latIn.value = latlng.lat.toFixed(6);
      lonIn.value = latlng.lng.toFixed(6);
      if (kel) { location.value = kel.label; }
      pickedText.textContent = (data.labels.picked || "") + ": " + latIn.value + ", " + lonIn.value;
    });
    if (latIn.value && lonIn.value) { picker.pick(window.L.latLng(Number(latIn.value), Number(lonIn.value)), null); }
    location.addEventListener("input", function () {
      if (latIn.value) {
        latIn.value = ""; lonIn.value = "";
        picker.clear();
        pickedText.textContent = "";
      }
      picker.show(location.value);
    });
  }

  // --- picking a place on a map (call-taker screen, incident page) ------------------------------

  // Polsek areas and kelurahan boundaries from jurisdiction GeoJSON (data.polsek, data.kelurahan). A click
  // puts the pick marker there and calls onPick(latlng, kelurahan) — kelurahan {kode, nama, label} when the
  // click fell in one, else null. Returns pick(latlng, kel), clear(), show(label or kode), resize().
  function PickMap(mapEl, data, onPick) {
    var L = window.L;
    var map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false, keyboard: false });
    mapEl.setAttribute("tabindex", "-1");  // keyboard-first: Tab goes through the form, not the map
    var kecamatan = {};
    (data.polsek.features || []).forEach(function (f) { kecamatan[f.properties.id] = f.properties.kecamatan; });
    var layers = {};  // lower-case label and kode → layer
    var marker = null;
    L.geoJSON(data.polsek, {
      interactive: false,
      style: function (f) { return { color: f.properties.color, weight: 2, fillOpacity: 0.06, className: "polsek-area" }; }
    }).addTo(map);
    var kel = L.geoJSON(data.kelurahan, {
      bubblingMouseEvents: false,
      style: function () { return { color: "#36454f", weight: 0.8, opacity: 0.6, fillColor: "#1d5fa8", fillOpacity: 0.04, dashArray: "3 3" }; },
      onEachFeature: function (f, layer) {
        var info = { kode: f.properties.kode, nama: f.properties.nama,
                     label: f.properties.nama + " — " + (kecamatan[f.properties.polsek_id] || "") };
        layers[info.label.toLowerCase()] = layer;
        if (info.kode) { layers[String(info.kode).toLowerCase()] = layer; }
        layer.on("click", function (e) { pick(e.latlng, info); });
        layer.bindTooltip(esc(f.properties.nama), { sticky: true, direction: "top" });
      }
    }).addTo(map);
    map.on("click", function (e) { pick(e.latlng, null); });
    function home() {
      var bounds = kel.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [6, 6] }); } else { map.setView([-2.5, 118], 4); }
    }
    home();
    function pick(latlng, info) {
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.marker(latlng, {
          keyboard: false,
          icon: L.divIcon({ className: "pick-marker", iconSize: [22, 22], iconAnchor: [11, 22], html: "<span></span>" })
        }).addTo(map);
      }
      onPick(latlng, info);
    }
    return {
      map: map,
      pick: pick,
      clear: function () { if (marker) { map.removeLayer(marker); marker = null; } },
      show: function (key) {
        var layer = layers[String(key || "").trim().toLowerCase()];
        if (layer) { map.fitBounds(layer.getBounds(), { maxZoom: 15 }); layer.openTooltip(); }
        return !!layer;
      },
      resize: function () { map.invalidateSize(); }
    };
  }

  // --- the incident page: fix the incident's location ---------------------------------------------

  // [data-locate] form: a kelurahan chosen from the list, or a point clicked on the map ([data-locate-map],
  // its data in json_script; data.incident is where the incident is drawn now). Choosing from the list
  // drops a clicked point; a click selects the kelurahan under it.
  function setupLocate(form) {
    var latIn = $("[data-lat]", form), lonIn = $("[data-lon]", form);
    var select = $("[data-locate-kelurahan]", form);
    var pickedText = $("[data-picked-text]", form);
    var mapEl = $("[data-locate-map]");
    var data = mapEl ? readJSON(mapEl.getAttribute("data-source")) : null;
    if (!mapEl || !data || !window.L) { return; }
    var L = window.L;
    var picker = PickMap(mapEl, data, function (latlng, kel) {
      latIn.value = latlng.lat.toFixed(6);
      lonIn.value = latlng.lng.toFixed(6);
      if (select) { select.value = kel && kel.kode ? kel.kode : ""; }
      pickedText.textContent = (data.labels.picked || "") + ": " + latIn.value + ", " + lonIn.value +
        (kel ? " (" + kel.label + ")" : "");
    });
    var t = data.labels || {}, here = data.incident;
    if (here && here.lat != null && here.lon != null) {
      L.marker([here.lat, here.lon], {
        keyboard: false, interactive: true, title: t.incident || "",
        icon: L.divIcon({
          className: "inc-marker inc-p" + (here.priority || 4) + (here.approx ? " inc-approx" : ""),
          iconSize: [26, 26], iconAnchor: [13, 13], html: "<span><b>" + esc(here.priority || "") + "</b></span>"
        })
      }).bindTooltip(esc(t.incident || "") + (here.approx ? " — " + esc(t.approx || "") : "")).addTo(picker.map);
      picker.map.setView([here.lat, here.lon], 14);
    }
    if (select) {
      select.addEventListener("change", function () {
        if (latIn.value) { latIn.value = ""; lonIn.value = ""; picker.clear(); pickedText.textContent = ""; }
        picker.show(select.value);
      });
    }
    // a map inside a closed <details> has no size until it is opened
    var details = mapEl.closest("details");
    if (details) {
      details.addEventListener("toggle", function () {
        if (!details.open) { return; }
        picker.resize();
        if (here && here.lat != null) { picker.map.setView([here.lat, here.lon], 14); }
      });
    }
  }

  // --- start ------------------------------------------------------------------------------------

  function init() {
    var live = $("[data-stream]");
    if (live && live.getAttribute("data-server-now")) {
      var server = Date.parse(live.getAttribute("data-server-now"));
      if (!isNaN(server)) { clockOffset = server - Date.now(); }
    }
    $all("[data-room-map]").forEach(setupLiveMap);
    $all("[data-intake]").forEach(setupIntake);
    $all("[data-locate]").forEach(setupLocate);
    setupRefresh();
    setupAlerts();
    tick();
    setInterval(tick, 1000);
    if (live) { connect(live.getAttribute("data-stream")); }
  }

  if (typeof document === "undefined") {
    if (typeof self !== "undefined" && "onconnect" in self) { sharedWorkerMain(self); }  // the live feed's worker
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

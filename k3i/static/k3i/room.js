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
 *  - #tugas                 the officer's phone: step presses queued in localStorage and sent with the time
 *                           of the press (they survive a weak signal); sharing the unit's position
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
  //
  // Each alert names its incident — number, priority, category, kelurahan — before the message: the message
  // ("Prioritas 1 belum ditugaskan … dinaikkan dari Polsek …") does not. The event carries the number and the
  // codes; the names come from the incident API (GET /api/v1/incidents/{id}, the page's session), read once per
  // incident; without an answer the category's code stays. On an incident page ([data-current-incident] on the
  // box, else [data-incident-page]) an alert about another incident starts with "Kejadian lain:", one about
  // the open incident with "Kejadian ini:".

  function setupAlerts() {
    var box = $("[data-live-alerts]");
    if (!box) { return; }
    var url = box.getAttribute("data-incident-url") || "";
    var api = box.getAttribute("data-incident-api") || "";
    var closeLabel = box.getAttribute("data-label-close") || "×";
    var pageEl = $("[data-incident-page]");
    var current = box.getAttribute("data-current-incident") ||
      (pageEl ? pageEl.getAttribute("data-incident-page") : "") || "";
    var names = {};  // incident id -> promise of {category, kelurahan}
    function namesOf(p) {
      if (!api || !window.fetch || p.id == null) { return Promise.resolve(null); }
      if (!names[p.id]) {
        names[p.id] = fetch(api.replace(/\/0\/?$/, "/" + p.id), {
          credentials: "same-origin", headers: { Accept: "application/json" }
        }).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
          if (!d) { delete names[p.id]; return null; }
          return { category: d.category_label || "", kelurahan: d.kelurahan && d.kelurahan.nama ? d.kelurahan.nama : "" };
        }).catch(function () { delete names[p.id]; return null; });
      }
      return names[p.id];
    }
    function what(p, n) {
      var parts = [];
      var category = (n && n.category) || p.category || "";
      if (category) { parts.push(category); }
      if (n && n.kelurahan) { parts.push(n.kelurahan); }
      return parts.join(" · ");
    }
    onEvent(function (kind, p) {
      if (kind !== "sla.terlewati" && kind !== "kejadian.eskalasi") { return; }
      var same = current !== "" && String(p.id) === current;
      var tag = current === "" ? "" :
        (same ? box.getAttribute("data-label-this") || "Kejadian ini:" : box.getAttribute("data-label-other") || "Kejadian lain:");
      var li = document.createElement("li");
      li.className = "live-alert" + (kind === "kejadian.eskalasi" ? " is-escalation" : "") +
        (current === "" ? "" : (same ? " is-this" : " is-other"));
      li.setAttribute("data-alert-incident", String(p.id));
      var who = "<span class=\"mono live-alert-number\">" + esc(p.number || ("#" + p.id)) + "</span>" +
        (p.priority ? " · P" + esc(p.priority) : "");
      li.innerHTML = "<a href=\"" + esc(url.replace(/\/0\/$/, "/" + p.id + "/")) + "\">" +
        "<span class=\"live-alert-who\">" + (tag ? "<span class=\"live-alert-tag\">" + esc(tag) + "</span> " : "") +
        who + " <span data-alert-what></span></span>" +
        "<span class=\"live-alert-text\">" + esc(p.pesan || kind) + "</span></a>" +
        "<button type=\"button\" class=\"live-alert-close\" aria-label=\"" + esc(closeLabel) + "\">×</button>";
      var whatEl = li.querySelector("[data-alert-what]");
      whatEl.textContent = p.category ? "· " + p.category : "";
      namesOf(p).then(function (n) { var w = what(p, n); whatEl.textContent = w ? "· " + w : ""; });
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

  // --- the officer's phone (/tugas/): steps that survive a weak signal, sharing the unit's position -----
  //
  // #tugas carries data-user, data-csrf, data-status-url and data-positions-url (".../0/..."); its content is
  // re-read by HTMX, so everything here is found again (and re-marked) after each swap.
  //  - A press on a step form ([data-step-form]: data-assignment, data-step, data-label) is queued in
  //    localStorage with the moment of the press and sent as JSON to the status API with that moment
  //    (device_time). What could not be sent (no signal, timeout, 5xx, 429: "Sinyal lemah"; the session
  //    ended: "Sesi berakhir") stays queued, is shown above the list, and is sent again when the browser is
  //    back online, when the page loads and every 15 s. Another 4xx (the task was cancelled meanwhile, …)
  //    drops it and shows the server's reason. Without JavaScript the forms post as before.
  //  - [data-geo-share] in the crew card: "Bagikan lokasi unit" (remembered per user and unit). While on,
  //    positions from watchPosition (one per 30 s, or sooner after 100 m) are queued and sent as one list
  //    to the unit's positions API every 30 s, or as soon as 10 wait. Off, or signed off: no more watching.

  var STEP_QUEUE = "k3i.tugas.antrian", STEP_QUEUE_MAX = 50;
  var POS_QUEUE = "k3i.tugas.posisi", POS_QUEUE_MAX = 500;
  var GEO_PREF = "k3i.tugas.lokasi";
  var SEND_TIMEOUT_MS = 10000, RETRY_MS = 15000;
  var POS_EVERY_MS = 30000, POS_MIN_METRES = 100, POS_BATCH = 10;
  var POS_MAX_AGE_MS = 6 * 24 * 3600 * 1000;  // the server refuses positions older than 7 days

  // localStorage, or this page's memory where it cannot be used (private mode, storage full)
  var memoryOnly = {};
  function getItem(key) {
    if (Object.prototype.hasOwnProperty.call(memoryOnly, key)) { return memoryOnly[key]; }
    try { return window.localStorage.getItem(key); } catch (err) { return null; }
  }
  function setItem(key, value) {
    try { window.localStorage.setItem(key, value); delete memoryOnly[key]; } catch (err) { memoryOnly[key] = value; }
  }
  function loadList(key) {
    var raw = getItem(key), list = null;
    try { list = raw ? JSON.parse(raw) : []; } catch (err) { list = []; }
    return Array.isArray(list) ? list.filter(function (x) { return x && typeof x === "object"; }) : [];
  }
  function saveList(key, list, max) {
    if (list.length > max) { list = list.slice(list.length - max); }  // keep the newest
    setItem(key, JSON.stringify(list));
  }
  function removeIds(key, items) {
    var gone = {};
    items.forEach(function (x) { gone[x.id] = true; });
    setItem(key, JSON.stringify(loadList(key).filter(function (x) { return !gone[x.id]; })));
  }

  function newId() { return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10); }
  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? String(values[k]) : m; });
  }
  function hhmm(iso) {  // "10:05", the phone's local time
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }
  function finite(x) { return typeof x === "number" && isFinite(x); }
  function metres(a, b) {  // haversine distance between {lat, lon} points
    var r = Math.PI / 180, dLat = (b.lat - a.lat) * r, dLon = (b.lon - a.lon) * r;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  // POST JSON with the session; resolves {status, data, kind}: kind "ok" (2xx), "retry" (no answer, timeout,
  // 5xx, 408, 429), "auth" (401, or 403 from the CSRF check: the session ended or changed), "drop" (any
  // other 4xx: sending it again would not help).
  function postJSON(url, body, token) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, SEND_TIMEOUT_MS) : null;
    return fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store", signal: ctrl ? ctrl.signal : undefined,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
        return { status: r.status, data: data };
      });
    }).catch(function () {
      return { status: 0, data: null };
    }).then(function (res) {
      clearTimeout(timer);
      var s = res.status, detail = res.data && typeof res.data.detail === "string" ? res.data.detail : "";
      if (s >= 200 && s < 300) { res.kind = "ok"; }
      else if (s === 0 || s >= 500 || s === 408 || s === 429) { res.kind = "retry"; }
      else if (s === 401 || (s === 403 && /csrf/i.test(detail))) { res.kind = "auth"; }
      else { res.kind = "drop"; }
      res.detail = detail || (s ? "HTTP " + s : "");
      return res;
    });
  }

  function setupTugas(root) {
    var user = root.getAttribute("data-user") || "";
    var textEl = $("[data-tugas-text]");
    function t(name) { return (textEl && textEl.getAttribute("data-t-" + name)) || name; }  // texts: tugas.html
    function urlFor(attr, id) { return (root.getAttribute(attr) || "").replace(/\/0\/([^/]*)$/, "/" + id + "/$1"); }
    function token() {  // the newest rendering's token (a fresh login changes it), else the page's
      var inputs = $all("input[name=csrfmiddlewaretoken]", root);
      return inputs.length ? inputs[inputs.length - 1].value : (root.getAttribute("data-csrf") || "");
    }
    var refreshList = debounce(function () { if (window.htmx) { window.htmx.trigger(root, "k3i-refresh"); } }, 300);

    // the notices above the list (outside the part HTMX re-reads)
    var notices = $("[data-tugas-notices]");
    if (!notices) {
      notices = document.createElement("div");
      notices.className = "tugas-notices";
      notices.setAttribute("aria-live", "polite");
      root.parentNode.insertBefore(notices, root);
    }
    var queueBox = document.createElement("div"), sentBox = document.createElement("div");
    var errorBox = document.createElement("div");
    queueBox.setAttribute("data-notice", "antrian");
    sentBox.setAttribute("data-notice", "tercatat");
    errorBox.setAttribute("data-notice", "galat");
    notices.appendChild(queueBox);
    notices.appendChild(sentBox);
    notices.appendChild(errorBox);

    // --- the page without signal: a service worker keeps the last copy (tugas-sw.js) ---
    var swUrl = root.getAttribute("data-sw-url");
    var keepCopy = function () {};
    if (swUrl && navigator.serviceWorker && window.isSecureContext) {
      var lastKept = 0;
      keepCopy = function () {  // at most once a minute: the copy follows the list
        if (navigator.onLine === false || Date.now() - lastKept < 60000) { return; }
        lastKept = Date.now();
        navigator.serviceWorker.ready.then(function (reg) {
          var assets = $all("link[rel=stylesheet][href], script[src]").map(function (el) {
            return el.getAttribute("href") || el.getAttribute("src");
          });
          if (reg.active) { reg.active.postMessage({ type: "simpan", assets: assets }); }
        });
      };
      navigator.serviceWorker.register(swUrl, { scope: swUrl.replace(/[^/]*$/, "") }).then(keepCopy, function () {});
      root.addEventListener("htmx:afterSwap", function () { keepCopy(); });
    }
    var savedBox = document.createElement("div");
    savedBox.setAttribute("data-notice", "salinan");
    notices.insertBefore(savedBox, queueBox);
    function showSaved() {
      savedBox.innerHTML = navigator.onLine === false ? "<p class=\"tugas-notice is-weak\" data-notice-saved>" +
        esc(fill(t("saved"), { jam: hhmm(root.getAttribute("data-rendered-at")) })) + "</p>" : "";
    }
    showSaved();
    window.addEventListener("offline", showSaved);
    window.addEventListener("online", function () { showSaved(); refreshList(); });

    // --- status presses ---

    var stepSending = false, recent = {}, retryTimer = null, sentLines = [], sentTimer = null;
    function mine() { return loadList(STEP_QUEUE).filter(function (e) { return e.user === user; }); }
    function named(e) { return "'" + (e.label || e.status) + "' (" + hhmm(e.device_time) + ")"; }

    function renderQueue() {
      var entries = mine();
      var session = entries.filter(function (e) { return e.why === "sesi"; });
      var weak = entries.filter(function (e) { return e.why === "sinyal"; });
      var html = "";
      if (weak.length) {
        html += "<p class=\"tugas-notice is-weak\" data-notice-weak>" +
          esc(fill(t("weak"), { langkah: weak.map(named).join(", ") })) + "</p>";
      }
      if (session.length) {
        html += "<p class=\"tugas-notice is-session\" data-notice-session>" +
          esc(fill(t("session"), { langkah: session.map(named).join(", ") })) +
          " <a href=\"" + esc(root.getAttribute("data-login-url") || "/akun/masuk/") + "\">" + esc(t("login")) + "</a></p>";
      }
      if (queueBox.innerHTML !== html) { queueBox.innerHTML = html; }
    }

    function markButtons() {
      var entries = mine();
      $all("form[data-step-form]", root).forEach(function (form) {
        var a = form.getAttribute("data-assignment"), s = form.getAttribute("data-step");
        var e = entries.filter(function (x) { return String(x.assignment) === a && x.status === s; })[0];
        var state = e ? (e.why ? "waiting" : "sending") : (recent[a + ":" + s] ? "done" : "");
        var btn = $("button", form);
        if (!btn) { return; }
        btn.disabled = !!state;
        btn.setAttribute("data-step-state", state);
        var tag = $("[data-step-tag]", btn);
        if (state && !tag) {
          tag = document.createElement("span");
          tag.className = "step-tag";
          tag.setAttribute("data-step-tag", "");
          btn.appendChild(tag);
        }
        if (state) { tag.textContent = t(state); } else if (tag) { tag.remove(); }
      });
    }

    function showSent(e) {
      sentLines.push(fill(t("sent"), { label: e.label || e.status, jam: hhmm(e.device_time) }));
      sentBox.innerHTML = "<p class=\"tugas-notice is-ok\" data-notice-sent>" + esc(sentLines.join(" · ")) + "</p>";
      clearTimeout(sentTimer);
      sentTimer = setTimeout(function () { sentLines = []; sentBox.innerHTML = ""; }, 10000);
    }
    function showError(text) {
      var p = document.createElement("p");
      p.className = "tugas-notice is-error";
      p.setAttribute("role", "alert");
      p.setAttribute("data-notice-error", "");
      p.innerHTML = "<span>" + esc(text) + "</span><button type=\"button\" class=\"notice-close\" aria-label=\"" +
        esc(t("close")) + "\">×</button>";
      $("button", p).addEventListener("click", function () { p.remove(); });
      errorBox.insertBefore(p, errorBox.firstChild);
      while (errorBox.children.length > 3) { errorBox.removeChild(errorBox.lastChild); }
    }

    function keepRetrying() {
      var need = mine().length > 0;
      if (need && !retryTimer) { retryTimer = setInterval(flushSteps, RETRY_MS); }
      if (!need && retryTimer) { clearInterval(retryTimer); retryTimer = null; }
    }

    // Send this user's queued presses in order; stop at the first that cannot be sent now.
    function flushSteps() {
      if (stepSending) { return; }
      var entries = mine();
      if (!entries.length) { renderQueue(); markButtons(); keepRetrying(); return; }
      var e = entries[0];
      stepSending = true;
      postJSON(urlFor("data-status-url", e.assignment), { status: e.status, device_time: e.device_time }, token())
        .then(function (res) {
          stepSending = false;
          // a 2xx that is not the API's answer (a hotspot's login page, a proxy) did not reach the server
          if (res.kind === "ok" && !(res.data && String(res.data.id) === String(e.assignment))) { res.kind = "retry"; }
          if (res.kind === "ok" || res.kind === "drop") {
            removeIds(STEP_QUEUE, [e]);
            if (res.kind === "ok") {
              recent[e.assignment + ":" + e.status] = true;
              showSent(e);
            } else {
              showError(fill(t("failed"), { langkah: named(e), detail: res.detail }));
            }
            refreshList();
            renderQueue();
            markButtons();
            flushSteps();
            return;
          }
          var why = res.kind === "auth" ? "sesi" : "sinyal";
          setItem(STEP_QUEUE, JSON.stringify(loadList(STEP_QUEUE).map(function (x) {
            if (x.user === user) { x.why = why; }
            return x;
          })));
          renderQueue();
          markButtons();
          keepRetrying();
        });
    }

    root.addEventListener("submit", function (ev) {
      var form = ev.target;
      if (!form || !form.matches || !form.matches("form[data-step-form]")) { return; }
      ev.preventDefault();
      var entry = {
        id: newId(), user: user, assignment: Number(form.getAttribute("data-assignment")),
        status: form.getAttribute("data-step"), label: form.getAttribute("data-label") || form.getAttribute("data-step"),
        device_time: new Date().toISOString()
      };
      var queue = loadList(STEP_QUEUE);
      var twice = queue.some(function (x) {
        return x.user === user && x.assignment === entry.assignment && x.status === entry.status;
      });
      if (!twice) {
        var waiting = queue.filter(function (x) { return x.user === user && x.why; })[0];
        if (waiting) { entry.why = waiting.why; }  // queued behind presses still waiting for a signal
        queue.push(entry);
        saveList(STEP_QUEUE, queue, STEP_QUEUE_MAX);
      }
      renderQueue();
      markButtons();
      flushSteps();
    });

    // --- sharing the unit's position ---

    var geo = { unit: null, watch: null, last: null, sending: false, sentAt: null, failed: false, session: false,
                note: "" };
    function prefKey(unit) { return GEO_PREF + ":" + user + ":" + unit; }
    function pendingPositions() {
      return loadList(POS_QUEUE).filter(function (p) { return p.user === user && String(p.unit) === String(geo.unit); });
    }

    function renderGeo() {
      var panel = $("[data-geo-share]", root);
      if (!panel || !geo.unit) { return; }
      panel.hidden = false;
      var on = geo.watch != null;
      var btn = $("[data-geo-toggle]", panel), state = $("[data-geo-state]", panel);
      var status = $("[data-geo-status]", panel);
      if (btn) {
        btn.setAttribute("aria-pressed", on ? "true" : "false");
        btn.classList.toggle("is-on", on);
      }
      if (state) { state.textContent = on ? t("on") : t("off"); }
      if (!status) { return; }
      var n = pendingPositions().length, parts = [];
      if (geo.note) { parts.push(geo.note); }
      if (on || n || geo.sentAt) {
        if (geo.sentAt) { parts.push(fill(t("geo-sent"), { jam: hhmm(geo.sentAt) })); }
        else if (on && !n) { parts.push(t("geo-wait")); }
        else if (geo.failed || geo.session || navigator.onLine === false) { parts.push(t("geo-none")); }
        if (n && geo.session) { parts.push(t("geo-session")); }
        else if (n && (geo.failed || navigator.onLine === false)) { parts.push(fill(t("geo-queued"), { n: n })); }
      }
      status.textContent = parts.join(" · ");
      status.classList.toggle("is-error", !!geo.note && geo.note !== t("geo-lost"));
    }

    function stopWatch() {
      if (geo.watch != null && navigator.geolocation) { navigator.geolocation.clearWatch(geo.watch); }
      geo.watch = null;
    }
    function geoFail(message) {  // the location cannot be read: say why, and the toggle goes off
      stopWatch();
      if (geo.unit) { setItem(prefKey(geo.unit), "0"); }
      geo.note = message;
      renderGeo();
    }
    function onFix(pos) {
      if (geo.watch == null || !geo.unit) { return; }
      var c = pos.coords || {};
      if (!finite(c.latitude) || !finite(c.longitude)) { return; }
      var at = finite(pos.timestamp) && pos.timestamp > 0 ? pos.timestamp : Date.now();
      var here = { lat: c.latitude, lon: c.longitude };
      if (geo.last && at - geo.last.at < POS_EVERY_MS && metres(geo.last, here) < POS_MIN_METRES) { return; }
      var first = !geo.last;
      geo.last = { lat: here.lat, lon: here.lon, at: at };
      var p = { id: newId(), user: user, unit: geo.unit, lat: here.lat, lon: here.lon,
                device_time: new Date(at).toISOString() };
      if (finite(c.accuracy) && c.accuracy >= 0) { p.accuracy_m = Math.min(100000, Math.round(c.accuracy * 10) / 10); }
      if (finite(c.speed) && c.speed >= 0) { p.speed_kmh = Math.min(400, Math.round(c.speed * 36) / 10); }
      if (finite(c.heading) && c.heading >= 0) { p.heading = Math.min(360, Math.round(c.heading * 10) / 10); }
      var queue = loadList(POS_QUEUE);
      queue.push(p);
      saveList(POS_QUEUE, queue, POS_QUEUE_MAX);
      geo.note = "";
      // the first fix goes at once (the ops map sees the unit now), then every 30 s or when 10 wait
      if (first || pendingPositions().length >= POS_BATCH) { flushPositions(); } else { renderGeo(); }
    }
    function onGeoError(err) {
      if (err && err.code === 1) { geoFail(t("geo-denied")); return; }
      if (err && err.code === 2) {
        // before the first fix: no location on this phone (GPS off); after it: lost for a while (a tunnel,
        // between buildings), the watch goes on and the next fix clears the note
        if (!geo.last) { geoFail(t("geo-unavailable")); return; }
        geo.note = t("geo-lost");
        renderGeo();
      }
      // 3 (no fix in time): the watch goes on, the line still says it is waiting
    }
    function startWatch() {
      geo.note = "";
      if (!navigator.geolocation) { geoFail(t("geo-unsupported")); return; }
      if (window.isSecureContext === false) { geoFail(t("geo-insecure")); return; }
      geo.last = null;
      try {
        geo.watch = navigator.geolocation.watchPosition(onFix, onGeoError,
          { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 });
      } catch (err) {
        geoFail(t("geo-unsupported"));
        return;
      }
      renderGeo();
    }

    function flushPositions() {
      if (geo.sending || !geo.unit) { return; }
      var limit = Date.now() - POS_MAX_AGE_MS;
      var items = pendingPositions();
      var old = items.filter(function (p) { return !(Date.parse(p.device_time) > limit); });
      if (old.length) {
        removeIds(POS_QUEUE, old);
        items = pendingPositions();
      }
      if (!items.length) { renderGeo(); return; }
      var batch = items.slice(0, POS_QUEUE_MAX), unit = geo.unit;
      var body = batch.map(function (p) {
        var o = { lat: p.lat, lon: p.lon, device_time: p.device_time };
        ["accuracy_m", "speed_kmh", "heading"].forEach(function (k) { if (finite(p[k])) { o[k] = p[k]; } });
        return o;
      });
      geo.sending = true;
      postJSON(urlFor("data-positions-url", unit), body, token()).then(function (res) {
        geo.sending = false;
        if (res.kind === "ok" && !(res.data && typeof res.data.stored === "number")) { res.kind = "retry"; }
        if (unit !== geo.unit) { return; }
        if (res.kind === "ok") {
          removeIds(POS_QUEUE, batch);
          geo.sentAt = new Date().toISOString();
          geo.failed = geo.session = false;
          if (pendingPositions().length >= POS_BATCH) { flushPositions(); return; }
        } else if (res.kind === "retry") {
          geo.failed = true;
        } else if (res.kind === "auth") {
          geo.session = true;
        } else {
          removeIds(POS_QUEUE, batch);
          geo.note = fill(t("geo-rejected"), { detail: res.detail });
        }
        renderGeo();
      });
    }

    // Follow the crew card (it comes and goes with sign-on and sign-off, also by the desk).
    function syncGeo() {
      var card = $("[data-crew-unit-id]", root);
      var unit = card ? card.getAttribute("data-crew-unit-id") : null;
      if (unit !== geo.unit) {
        stopWatch();
        geo.unit = unit;
        geo.last = geo.sentAt = null;
        geo.failed = geo.session = false;
        geo.note = "";
        // positions kept for another unit can no longer be sent: the server takes them only from its crew
        setItem(POS_QUEUE, JSON.stringify(loadList(POS_QUEUE).filter(function (p) {
          return p.user !== user || String(p.unit) === String(unit);
        })));
      }
      if (!geo.unit) { return; }
      if (geo.watch == null && getItem(prefKey(geo.unit)) === "1") { startWatch(); }
      renderGeo();
    }

    root.addEventListener("click", function (ev) {
      var btn = ev.target && ev.target.closest ? ev.target.closest("[data-geo-toggle]") : null;
      if (!btn || !geo.unit) { return; }
      if (geo.watch != null) {
        setItem(prefKey(geo.unit), "0");
        stopWatch();
        geo.note = "";
        flushPositions();  // what was kept still goes
      } else {
        setItem(prefKey(geo.unit), "1");
        startWatch();
      }
      renderGeo();
    });

    // --- "Selesai dinas": a second tap (no window.confirm, which some WebViews block) ---
    //
    // The first tap turns the button into "Yakin selesai dinas? Ketuk lagi" (data-confirming="wait", then
    // "ready" after CONFIRM_GUARD_MS, so a double tap does not count) for CONFIRM_MS; a tap while "ready" posts
    // the form. Without JavaScript the form posts at the first tap.
    var CONFIRM_MS = 5000, CONFIRM_GUARD_MS = 600;
    function signoffIdle(btn) {
      clearTimeout(btn.__k3iConfirm);
      btn.removeAttribute("data-confirming");
      btn.classList.remove("is-confirming");
      if (btn.__k3iLabel != null) { btn.textContent = btn.__k3iLabel; }
    }
    root.addEventListener("click", function (ev) {
      var btn = ev.target && ev.target.closest ? ev.target.closest("[data-crew-signoff]") : null;
      if (!btn) { return; }
      var state = btn.getAttribute("data-confirming");
      if (state === "ready") { signoffIdle(btn); return; }  // the second tap: the form posts
      ev.preventDefault();
      if (state === "wait") { return; }
      btn.__k3iLabel = btn.textContent;
      btn.textContent = btn.getAttribute("data-confirm") || "Yakin selesai dinas? Ketuk lagi";
      btn.classList.add("is-confirming");
      btn.setAttribute("data-confirming", "wait");
      btn.__k3iConfirm = setTimeout(function () {
        btn.setAttribute("data-confirming", "ready");
        btn.__k3iConfirm = setTimeout(function () { signoffIdle(btn); }, CONFIRM_MS - CONFIRM_GUARD_MS);
      }, CONFIRM_GUARD_MS);
    });

    // --- together ---

    function afterSwap() {
      recent = {};  // the list now shows the server's steps
      markButtons();
      syncGeo();
    }
    document.addEventListener("htmx:afterSwap", function (ev) {
      if (ev.target === root || (ev.detail && ev.detail.target === root)) { afterSwap(); }
    });
    function flushAll() { flushSteps(); flushPositions(); }
    window.addEventListener("online", flushAll);
    window.addEventListener("offline", renderGeo);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { flushAll(); }
    });
    setInterval(function () { if (geo.unit && (geo.watch != null || pendingPositions().length)) { flushPositions(); } },
                POS_EVERY_MS);
    renderQueue();
    markButtons();
    syncGeo();
    flushAll();
  }

  // --- start ------------------------------------------------------------------------------------

  function init() {
    var live = $("[data-stream]");
    // (a page kept for use without signal carries the time it was rendered, not now: keep the phone's clock)
    if (live && live.getAttribute("data-server-now") && navigator.onLine !== false) {
      var server = Date.parse(live.getAttribute("data-server-now"));
      if (!isNaN(server)) { clockOffset = server - Date.now(); }
    }
    $all("[data-room-map]").forEach(setupLiveMap);
    $all("[data-intake]").forEach(setupIntake);
    $all("[data-locate]").forEach(setupLocate);
    var tugas = document.getElementById("tugas");
    if (tugas) { setupTugas(tugas); }
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

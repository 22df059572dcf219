/* K3i — the officer's page /tugas/ without signal (service worker, scope /tugas/).
 *
 * A phone browser often throws away a tab in the background; opened again in a dead zone, /tugas/ would be the
 * browser's own error page and the address of the task would be gone. This worker keeps the last /tugas/ page
 * that loaded (network first: it is replaced on every load with signal) and the page's own CSS and script, and
 * answers with them when there is no network. The page says that it shows the state of that moment; presses made
 * on it are queued and sent later by room.js (setupTugas), with their own time.
 *
 * Nothing else is cached: no API answers, no other page. The copy is dropped when /tugas/ answers with a login
 * page (the session ended) and by the login page itself (k3i/forget.js) after "Keluar".
 */
"use strict";

var CACHE = "k3i-tugas-v1";
var PAGE = "/tugas/";
var TIMEOUT_MS = 6000;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("k3i-tugas-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (r) { clearTimeout(timer); resolve(r); }, function (e) { clearTimeout(timer); reject(e); });
  });
}

function offlinePage() {
  var html = "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Tanpa sinyal · K3i</title></head>" +
    "<body style=\"font-family:system-ui,sans-serif;padding:1.5rem;max-width:32rem;margin:auto\">" +
    "<h1>Tanpa sinyal</h1><p>Halaman tugas belum pernah terbuka di ponsel ini, jadi tidak ada salinan untuk " +
    "ditampilkan. Hubungi operator lewat radio; halaman dimuat lagi saat sinyal kembali.</p></body></html>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

// The page asks for its copy to be kept (at load and after its list changed), naming its own CSS and scripts:
// the first load happens before this worker runs, so nothing of it went through the fetch handler below.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "simpan") { return; }
  var assets = (data.assets || []).filter(function (u) {
    try { var x = new URL(u, self.location.href); return x.origin === self.location.origin && x.pathname.indexOf("/static/") === 0; }
    catch (e) { return false; }
  });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return fetch(PAGE, { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (res.redirected || !res.ok) { return res.redirected ? caches.delete(CACHE) : null; }
      return cache.put(PAGE, res).then(function () {
        return Promise.all(assets.map(function (u) {
          return cache.match(u).then(function (hit) { return hit || cache.add(u); });
        }));
      });
    });
  }).catch(function () {}));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (req.mode === "navigate" && url.pathname === PAGE && !url.search) {
    event.respondWith(withTimeout(fetch(req), TIMEOUT_MS).then(function (res) {
      if (res.ok && !res.redirected) {
        var copy = res.clone();
        event.waitUntil(caches.open(CACHE).then(function (c) { return c.put(PAGE, copy); }));
      } else if (res.redirected) {  // sent to the login page: this session is over, forget its page
        event.waitUntil(caches.delete(CACHE));
      }
      return res;
    }).catch(function () {
      return caches.open(CACHE).then(function (c) { return c.match(PAGE); }).then(function (r) { return r || offlinePage(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {  // the page's CSS, scripts and icons, for the saved copy
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok) {
        var copy = res.clone();
        event.waitUntil(caches.open(CACHE).then(function (c) { return c.put(req, copy); }));
      }
      return res;
    }).catch(function () {
      return caches.open(CACHE).then(function (c) { return c.match(req); }).then(function (r) {
        return r || Response.error();
      });
    }));
  }
});

/* K3i — after "Keluar" the login page drops what the officer's page kept on this phone for use without signal
 * (the service worker's copy of /tugas/, see tugas-sw.js). Queued presses stay: they belong to their account
 * and are sent only under it. */
"use strict";
if (window.caches && window.caches.keys) {
  window.caches.keys().then(function (keys) {
    keys.forEach(function (k) { if (k.indexOf("k3i-tugas-") === 0) { window.caches.delete(k); } });
  });
}

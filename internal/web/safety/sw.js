// kapstone's service worker (issue 17). It keeps two pages, and nothing
// else clinical, so they open without a network: the signed-in patient's
// safety plan and the crisis page, with the static files they need. Pages
// are fetched from the network first; the kept copy is used only when the
// network fails. Signing out removes this worker and its cache.
"use strict";
var CACHE = "kapstone-safety-v1";
var PLAN = {{.Plan}};
var CRISIS = {{.Crisis}};
var ASSETS = [{{.Assets}}];
var PAGES = [PLAN, CRISIS];

// keep fetches url and keeps the answer when it is the page itself (not a
// sign-in page it was sent to).
function keep(cache, url) {
  return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (res) {
    if (res.ok && !res.redirected) { return cache.put(url, res); }
  }).catch(function () { /* offline now: kept when next visited */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(PAGES.concat(ASSETS).map(function (u) { return keep(cache, u); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("kapstone-safety-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(req, path, store) {
  return fetch(req).then(function (res) {
    if (res.ok && !res.redirected && res.type === "basic") {
      if (store) {
        var copy = res.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(path, copy); });
      } else {
        // A page with a notice (after a save): keep the plain page.
        caches.open(CACHE).then(function (cache) { return keep(cache, path); });
      }
    }
    return res;
  }).catch(function (err) {
    return caches.match(path, { cacheName: CACHE }).then(function (hit) {
      if (hit) { return hit; }
      throw err;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (PAGES.indexOf(url.pathname) >= 0) {
    // A notice in the query (?saved=2) is shown once, never kept.
    event.respondWith(networkFirst(req, url.pathname, url.search === ""));
  } else if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then(function (hit) {
      return hit || fetch(req);
    }));
  }
});

// kapstone's service worker (issue 17). It keeps two pages, and nothing
// else clinical, so they open without a network: the signed-in patient's
// safety plan and the crisis page, with the static files they need. Pages
// are fetched from the network first; the kept copy is used when the
// network fails, answers with a server error (5xx) or is slow (WAIT).
// Signing out removes this worker and its cache.
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

// WAIT is how long a kept page waits for the network before the kept copy
// is shown (a hanging network must not keep a patient in distress
// waiting); the network's answer still refreshes the copy when it comes.
var WAIT = 3000;

// networkFirst answers a kept page: from the network when it answers in
// time and kapstone is up; else from the kept copy (the network failed, it
// answered with a server error such as a proxy's 502 or 503, or it took
// longer than WAIT). A redirect (to sign in) goes to the page as it is.
// It returns the answer and the network's own work (the refreshed copy),
// which the worker is kept alive for.
function networkFirst(req, path, store) {
  var kept = function () { return caches.match(path, { cacheName: CACHE }); };
  var network = fetch(req).then(function (res) {
    if (res.ok && !res.redirected && res.type === "basic") {
      var copy = res.clone();
      var saved = caches.open(CACHE).then(function (cache) {
        // A page with a notice (after a save): keep the plain page.
        return store ? cache.put(path, copy) : keep(cache, path);
      });
      return { res: res, saved: saved };
    }
    return { res: res, saved: Promise.resolve() };
  });
  var answer = new Promise(function (resolve, reject) {
    var done = false;
    function give(res) { if (!done) { done = true; resolve(res); } }
    var timer = setTimeout(function () {
      kept().then(function (hit) { if (hit) { give(hit); } });
    }, WAIT);
    network.then(function (n) {
      clearTimeout(timer);
      if (n.res.status >= 500) {
        return kept().then(function (hit) { give(hit || n.res); });
      }
      give(n.res);
    }, function (err) {
      clearTimeout(timer);
      return kept().then(function (hit) {
        if (hit) { give(hit); } else if (!done) { done = true; reject(err); }
      });
    });
  });
  var work = network.then(function (n) { return n.saved; }).catch(function () { /* offline */ });
  return { answer: answer, work: work };
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (PAGES.indexOf(url.pathname) >= 0) {
    // A notice in the query (?saved=2) is shown once, never kept.
    var nf = networkFirst(req, url.pathname, url.search === "");
    event.respondWith(nf.answer);
    event.waitUntil(nf.work);
  } else if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then(function (hit) {
      return hit || fetch(req);
    }));
  }
});

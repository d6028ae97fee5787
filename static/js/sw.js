// Sổ Kiểm Tra — service worker (served as /sw.js so that it controls /visits/…).
// It keeps the visits an inspector downloaded ("Tải về để làm ngoại tuyến") usable without signal:
//   - visit pages: network first, the stored copy when the network fails (or hangs);
//   - /static/ files: cache first (their URLs carry a content hash, so they never change);
//   - evidence thumbnails of a downloaded visit, and its checklist version's guidance texts: cache first.
// Text (the page, scripts, CSS) is stored gzip-compressed: a 66-item visit page is 200 KB of HTML.
// Writes are never touched here: the page queues them in IndexedDB (static/js/offline/).
// See docs/offline.md.
"use strict";

var VERSION = "__SW_VERSION__";          // the file's content hash, filled in by GET /sw.js
var PREFIX = "ske-";
var CACHE = PREFIX + "v1-" + VERSION;
var PAGE = /^\/visits\/\d+$/;            // a visit page as it is stored (no query string)
var THUMB = /^\/evidence\/\d+\/file$/;
var GUIDANCE = /^\/checklists\/[^/]+\/[^/]+\/guidance$/;  // a version's guidance texts: immutable
var PACKED = "x-ske-packed";             // marks a stored body kept gzip-compressed
var TEXT = /^(text\/|application\/(javascript|json)|image\/svg)/;
var NAV_TIMEOUT = 10000;                 // a weak network may hang: show the stored copy after this
var CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(migrate().then(function () { return self.clients.claim(); }));
});

// A new worker gets a new cache. Downloaded visits must survive an update of the app, so the old
// caches' entries move into the new one before the old caches are deleted; prune() then drops
// the assets no stored page refers to any more.
async function migrate() {
  var names = (await caches.keys()).filter(function (n) { return n.indexOf(PREFIX) === 0 && n !== CACHE; });
  if (!names.length) return;
  var cache = await caches.open(CACHE);
  for (var i = 0; i < names.length; i++) {
    var old = await caches.open(names[i]);
    var requests = await old.keys();
    for (var j = 0; j < requests.length; j++) {
      if (await cache.match(requests[j], { ignoreVary: true })) continue;
      var response = await old.match(requests[j], { ignoreVary: true });
      if (response) await cache.put(requests[j], response);
    }
    await caches.delete(names[i]);
  }
  await prune(cache);
}

// Keep only the /static/ files and thumbnails that a stored visit page needs, directly or through
// the modules its scripts import.
async function prune(cache) {
  var requests = await cache.keys();
  var keep = {};
  var todo = [];
  for (var i = 0; i < requests.length; i++) {
    if (!PAGE.test(new URL(requests[i].url).pathname)) continue;
    var response = await cache.match(requests[i], { ignoreVary: true });
    if (response) todo = todo.concat(references(await bodyText(response)));
  }
  while (todo.length) {
    var url = todo.pop();
    if (keep[url]) continue;
    keep[url] = true;
    var file = isScript(url) && await cache.match(url, { ignoreVary: true });
    if (file) todo = todo.concat(references(await bodyText(file)));
  }
  for (var k = 0; k < requests.length; k++) {
    var path = new URL(requests[k].url).pathname;
    if ((path.indexOf("/static/") === 0 || THUMB.test(path) || GUIDANCE.test(path)) && !keep[requests[k].url]) {
      await cache.delete(requests[k], { ignoreVary: true });
    }
  }
}

// The assets and thumbnails a page or a script needs, as absolute URLs: every quoted /static/ URL
// (tags of the page, `data-src` of the offline code, the versioned imports of its modules that
// inspect_app/web/static.py writes) and every thumbnail.
function references(text) {
  var found = {};
  var pattern = /["'](\/static\/[^"'\s]+|\/evidence\/\d+\/file\?size=thumb|\/checklists\/[^"'\s/]+\/[^"'\s/]+\/guidance)["']/g;
  var match;
  while ((match = pattern.exec(text))) {
    found[new URL(match[1].replace(/&amp;/g, "&"), self.location.origin).href] = true;
  }
  return Object.keys(found);
}

function isScript(url) { return /^\/static\/.+\.js$/.test(new URL(url).pathname); }

// Stored text is compressed (CompressionStream, gzip): the offline copy of a 66-item visit takes a
// fifth of the room. Other bodies (thumbnails are JPEG already) are stored as they come.
async function store(cache, key, response) {
  var type = response.headers.get("content-type") || "";
  if (!TEXT.test(type) || !self.CompressionStream || response.headers.has(PACKED)) {
    await cache.put(key, response);
    return;
  }
  var packed = await new Response(response.body.pipeThrough(new CompressionStream("gzip"))).blob();
  var headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  headers.set(PACKED, "gzip");
  await cache.put(key, new Response(packed, { status: response.status, statusText: response.statusText, headers: headers }));
}

// A stored response as the page must get it: uncompressed, without the mark.
function unpack(response) {
  if (!response || !response.headers.has(PACKED)) return response;
  var headers = new Headers(response.headers);
  headers.delete(PACKED);
  return new Response(response.body.pipeThrough(new DecompressionStream("gzip")),
    { status: response.status, statusText: response.statusText, headers: headers });
}

function bodyText(response) { return unpack(response).text(); }

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === "/visits" || url.pathname.indexOf("/visits/") === 0) event.respondWith(navigate(event, url));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request, url.searchParams.has("v")));
    return;
  }
  if ((THUMB.test(url.pathname) && url.searchParams.get("size") === "thumb") || GUIDANCE.test(url.pathname)) {
    event.respondWith(cacheFirst(request, false));
  }
});

// Network first; a stored copy when the network fails, or is too slow and a copy exists.
async function navigate(event, url) {
  var cache = await caches.open(CACHE);
  var key = PAGE.test(url.pathname) ? url.origin + url.pathname : null;
  var stored = (await cache.match(event.request, { ignoreVary: true })) ||
    (key ? await cache.match(key, { ignoreVary: true }) : undefined);
  var network = fetch(event.request).then(function (response) {
    // Refresh a downloaded visit's copy whenever it is loaded online (the unfiltered page only).
    if (stored && key && !url.search && response.ok && response.type === "basic" && !response.redirected) {
      event.waitUntil(store(cache, key, response.clone()));
    }
    return response;
  });
  if (!stored) return network.catch(function () { return offlinePage(cache); });
  var timeout = new Promise(function (resolve) { setTimeout(function () { resolve(null); }, NAV_TIMEOUT); });
  try {
    var first = await Promise.race([network, timeout]);
    if (first && first.status < 500) return first;
    event.waitUntil(network.catch(function () {}));
  } catch (err) { /* offline: the stored copy below */ }
  return unpack(stored);
}

async function cacheFirst(request, keep) {
  var cache = await caches.open(CACHE);
  var hit = await cache.match(request, { ignoreVary: true });
  if (hit) return unpack(hit);
  try {
    var response = await fetch(request);
    if (keep && response.ok && response.type === "basic") await store(cache, request, response.clone());
    return response;
  } catch (err) {
    // Offline, and this exact build of the file is not stored: an older build is better than nothing.
    var older = await cache.match(request, { ignoreSearch: true, ignoreVary: true });
    if (older) return unpack(older);
    return Response.error();
  }
}

// Shown for a /visits… page that was never downloaded: which visits are available offline.
async function offlinePage(cache) {
  var requests = await cache.keys();
  var links = [];
  var css = "";
  for (var i = 0; i < requests.length; i++) {
    var path = new URL(requests[i].url).pathname;
    if (path.indexOf("/static/css/app.css") === 0) css = requests[i].url;
    if (!PAGE.test(path)) continue;
    var response = await cache.match(requests[i], { ignoreVary: true });
    var title = /<title>([^<]*)<\/title>/.exec(response ? await bodyText(response) : "");
    // The title is already HTML-escaped in the stored page.
    links.push('<li><a href="' + path + '">' + (title ? title[1].replace(/ · Sổ Kiểm Tra$/, "") : path) + "</a></li>");
  }
  var body = '<!doctype html><html lang="vi"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<title>Không có mạng · Sổ Kiểm Tra</title>" + (css ? '<link rel="stylesheet" href="' + css + '">' : "") +
    '</head><body><main class="container"><h1>Không có mạng</h1>' +
    "<p>Trang này chưa được tải về máy nên không mở được khi mất kết nối.</p>" +
    (links.length ? "<p>Các cuộc kiểm tra đã tải về để làm ngoại tuyến:</p><ul>" + links.join("") + "</ul>"
      : "<p>Chưa có cuộc kiểm tra nào được tải về máy này.</p>") +
    "</main></body></html>";
  return new Response(body, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store" },
  });
}

// ---- messages from the visit page
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  var reply = function (value) { if (port) port.postMessage(value); };
  var work;
  if (data.type === "download") work = download(data.page);
  else if (data.type === "forget") work = forget(data.page);
  else if (data.type === "status") work = status(data.page);
  else return;
  event.waitUntil(work.then(reply, function (err) { reply({ ok: false, reason: "error", message: String(err) }); }));
});

// Store a visit page and everything it needs (its assets, the modules they import, its thumbnails);
// answer how many bytes that takes as stored.
async function download(page) {
  var url = new URL(page, self.location.origin);
  if (!PAGE.test(url.pathname)) return { ok: false, reason: "bad_page" };
  var key = url.origin + url.pathname;
  var response;
  try {
    response = await fetch(key, { credentials: "same-origin", cache: "no-store" });
  } catch (err) {
    return { ok: false, reason: "network" };
  }
  if (response.redirected || new URL(response.url).pathname === "/login") return { ok: false, reason: "login" };
  if (!response.ok) return { ok: false, reason: "http", status: response.status };
  var cache = await caches.open(CACHE);
  var html = await response.clone().text();
  var failed = [];
  var files = 0;
  var bytes = 0;
  var seen = {};
  var urls = references(html);
  while (urls.length) {
    var url = urls.shift();
    if (seen[url]) continue;
    seen[url] = true;
    var stored = await cache.match(url, { ignoreVary: true });
    if (!stored) {
      try {
        var res = await fetch(url, { credentials: "same-origin" });
        if (!res.ok) throw new Error(String(res.status));
        await store(cache, url, res);
        stored = await cache.match(url, { ignoreVary: true });
      } catch (err) {
        failed.push(url);
        continue;
      }
    }
    files++;
    bytes += (await stored.clone().blob()).size;
    if (isScript(url)) urls = urls.concat(references(await bodyText(stored)));
  }
  await store(cache, key, response);  // the page last: it is never stored without what it needs
  bytes += (await (await cache.match(key, { ignoreVary: true })).blob()).size;
  await prune(cache);
  return { ok: true, bytes: bytes, files: files + 1, failed: failed, cache: CACHE };
}

async function forget(page) {
  var cache = await caches.open(CACHE);
  await cache.delete(new URL(page, self.location.origin).href, { ignoreVary: true });
  await prune(cache);
  return { ok: true };
}

async function status(page) {
  var cache = await caches.open(CACHE);
  var hit = await cache.match(new URL(page, self.location.origin).href, { ignoreVary: true });
  return { ok: true, stored: !!hit, cache: CACHE };
}

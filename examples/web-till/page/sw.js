// The web till's service worker: keeps the page, its script, its settings and PGlite's files, so the
// till starts (and sells from its queue) with no network. The API is never answered from here.
const CACHE = 'clientele-web-till-1';
const SHELL = ['/', '/till.js', '/till/config.json', '/pglite.wasm', '/initdb.wasm', '/pglite.data'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

// The network first (a new script or new settings when there is one), the kept copy when offline.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(event.request, copy)));
        }
        return response;
      })
      .catch(() => caches.match(event.request).then((kept) => kept ?? Response.error())),
  );
});

// demine's service worker: keeps the application shell of this build for offline use.
// Written by hand (about 60 lines) instead of Workbox: the app needs exactly two rules —
// precache the shell of this version, serve navigations from it when the network is down —
// and never caches the API (data offline lives in IndexedDB, per user, with the outbox).
// The build (vite.config.ts) fills in the version and the file list.
const VERSION = '__VERSION__';
const CACHE = 'demine-shell-' + VERSION;
const PRECACHE = __PRECACHE__;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('demine-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isData(url) {
  return /^\/(api|ogc|tiles|healthz|metrics)(\/|$)/.test(url.pathname);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || isData(url)) return; // the network, untouched
  if (req.mode === 'navigate') {
    // The newest shell when the server answers, this version's shell when it does not.
    event.respondWith(
      fetch(req).catch(() => caches.open(CACHE).then((c) => c.match('/')).then((r) => r || Response.error())),
    );
    return;
  }
  // Build files are content-hashed: the cached copy is the right one.
  event.respondWith(
    caches.open(CACHE).then((c) =>
      c.match(req, { ignoreSearch: true }).then((hit) => hit || fetch(req)),
    ),
  );
});

// Salesdesk service worker: the app shell comes from this cache, filled when the worker
// installs, so the app opens at once with the server unreachable, and also when the
// branch's link hangs instead of failing (a network-first shell waited out a timeout for
// every file). A deploy is a new worker (this file's build id changes), which the browser
// finds on the next load: it fills a new cache, takes over and drops the old one; an app
// that meets a server newer than itself asks for it at once (boot.js). The API is never
// cached: data lives in localStorage and goes through the sync protocol.
const VERSION = '__SALESDESK_BUILD__';
const CACHE = 'salesdesk-' + VERSION;
// Both apps, so that every screen opens offline once the app has been opened online once.
// The pinyin table too: the app fetches it once it runs, for lookups by initials.
const SHELL = ['/index.html', '/boot.js', '/salesdesk.js', '/salesdesk_bg.wasm', '/salesdesk_full.js', '/salesdesk_full_bg.wasm', '/style.css', '/full.css', '/pinyin.txt'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('salesdesk-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  const navigation = req.mode === 'navigate';
  const key = navigation ? '/index.html' : url.pathname;
  if (!navigation && !SHELL.includes(key)) return;
  // From the cache; from the network only if the cache lost it (the browser may evict).
  event.respondWith(
    caches.match(key, { cacheName: CACHE })
      .then((hit) => hit || fetch(navigation ? '/index.html' : req).then((resp) => {
        if (resp.ok) {
          const copy = resp.clone();
          event.waitUntil(caches.open(CACHE).then((c) => c.put(key, copy)));
        }
        return resp;
      }))
      .catch(() => caches.match(key).then((hit) => hit || Response.error())),
  );
});

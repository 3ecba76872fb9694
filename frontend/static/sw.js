// Salesdesk service worker: the app shell is fetched from the network when it answers
// (so a new deploy is picked up at once) and from this cache when it does not, so the
// app opens with the server unreachable. The API is never cached: data lives in
// localStorage and goes through the sync protocol.
const VERSION = '__SALESDESK_BUILD__';
const CACHE = 'salesdesk-' + VERSION;
// Both apps, so that every screen opens offline once the app has been opened online once.
// The pinyin table too: the app fetches it once it runs, for lookups by initials.
const SHELL = ['/index.html', '/boot.js', '/salesdesk.js', '/salesdesk_bg.wasm', '/salesdesk_full.js', '/salesdesk_full_bg.wasm', '/style.css', '/pinyin.txt'];
const NETWORK_TIMEOUT_MS = 4000;

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

function withTimeout(promise) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), NETWORK_TIMEOUT_MS))]);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  const navigation = req.mode === 'navigate';
  const key = navigation ? '/index.html' : url.pathname;
  if (!navigation && !SHELL.includes(key)) return;
  event.respondWith(
    withTimeout(fetch(req, { cache: 'no-cache' }))
      .then((resp) => {
        if (resp.ok) {
          const copy = resp.clone();
          event.waitUntil(caches.open(CACHE).then((c) => c.put(key, copy)));
        }
        return resp;
      })
      .catch(() => caches.match(key, { cacheName: CACHE }).then((hit) => hit || caches.match(key)).then((hit) => hit || Response.error())),
  );
});

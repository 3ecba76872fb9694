// Starts the app (a file of its own: the content security policy allows no inline script).
import init from '/salesdesk.js';
init({ module_or_path: '/salesdesk_bg.wasm' });
// The service worker keeps the app openable with no server reachable (secure origins only).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('service worker not registered', e));
}

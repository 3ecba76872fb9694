// Starts the app (a file of its own: the content security policy allows no inline script).
// The log-in, the order list and the order form are the core, a small download for a
// phone; every other screen is the full app's. The core, asked for another screen, loads
// the page again and lands here.
const p = location.pathname;
const core = p === '/' || p === '/login' || p === '/orders' || p === '/orders/new';
const app = core ? 'salesdesk' : 'salesdesk_full';
// The full app's screens have a style sheet of their own, which the core does without.
if (!core) {
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = '/full.css';
  document.head.append(css);
}
// The wasm is fetched beside the script that starts it, not after it.
const wasm = fetch(`/${app}_bg.wasm`);
import(`/${app}.js`).then((m) => m.default({ module_or_path: wasm }));
// The service worker keeps the app openable with no server reachable (secure origins only).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('service worker not registered', e));
}
// The server is newer than this app (it refused our protocol): fetch the new worker, which
// brings the new app into its cache, and load the page again once it has taken over (or
// after 10 s if no newer worker came, to meet the server's answer again).
window.salesdeskUpdate = () => {
  const reload = () => location.reload();
  const sw = navigator.serviceWorker;
  if (!sw || !sw.controller) return reload();
  sw.addEventListener('controllerchange', reload, { once: true });
  setTimeout(reload, 10000);
  sw.getRegistration().then((r) => (r ? r.update() : reload())).catch(reload);
};

// The stand-alone panel: sign in, pick a service, show its Snapshots
// component. A host panel that has its own login embeds snapshots.mjs instead.
// Relative, so the page works under the host's path prefix (--base-path).
import init, * as core from '../pkg/pve_snapshots.js';
import { PanelApi } from './api.mjs';
import { h, replaceChildren } from './dom.mjs';
import { friendlyMessage } from './wording.mjs';
import { showLoginForm } from './login-form.mjs';
import { mountSnapshots } from './snapshots.mjs';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const userBox = /** @type {HTMLElement} */ (document.getElementById('user'));
const API_BASE = new URL('../api', import.meta.url).pathname;
const api = new PanelApi({ apiBase: API_BASE });
/** @type {import('./snapshots.mjs').SnapshotsHandle | null} */
let mounted = null;
/** @type {{username: string, displayName?: string} | null} */
let user = null;

// While the panel's database is away the session cannot be checked; that is
// not a sign-out: say so and try again.
const STORE_RETRY_MS = 5000;

await init();
window.addEventListener('hashchange', route);
await start();

async function start() {
  try {
    const s = await api.session();
    signedIn(s.user, s.csrfToken);
  } catch (err) {
    if (/** @type {any} */ (err)?.code !== 'STORE_UNAVAILABLE') return showLogin();
    replaceChildren(main, h('section', { class: 'card unavailable', 'aria-labelledby': 'unavailable-title' },
      h('h1', { id: 'unavailable-title' }, 'Snapshots'),
      h('p', { class: 'alert', role: 'alert', 'data-role': 'unavailable' }, friendlyMessage('STORE_UNAVAILABLE'))));
    setTimeout(start, STORE_RETRY_MS);
  }
}

/**
 * @param {{username: string, displayName?: string}} u
 * @param {string} csrfToken
 */
function signedIn(u, csrfToken) {
  user = u;
  api.csrfToken = csrfToken;
  replaceChildren(userBox,
    h('span', { class: 'user-name' }, u.displayName || u.username),
    h('button', { type: 'button', class: 'btn btn-small', onclick: logout }, 'Sign out'));
  route();
}

function unmount() {
  mounted?.destroy();
  mounted = null;
}

/** @param {string} [notice] */
function showLogin(notice) {
  unmount();
  user = null;
  replaceChildren(userBox);
  showLoginForm(main, {
    title: 'Sign in', notice,
    async signIn(username, password) {
      const out = await api.login(username, password);
      signedIn(out.user, out.csrfToken);
    },
    describeError: (e) => friendlyMessage(e?.code, e?.status),
  });
}

async function logout() {
  try { await api.logout(); } catch { /* the session is gone either way */ }
  location.hash = '';
  showLogin();
}

/** `#/services/<id>` shows one service; anything else the list. */
async function route() {
  if (!user) return;
  unmount();
  const match = /^#\/services\/([^/]+)$/.exec(location.hash);
  if (match) showService(decodeURIComponent(match[1]));
  else await showServices();
}

async function showServices() {
  const list = h('ul', { class: 'service-list', 'data-role': 'services' });
  replaceChildren(main, h('section', { class: 'card', 'aria-labelledby': 'services-title' },
    h('h1', { id: 'services-title' }, 'Your services'), list));
  try {
    const { services } = await api.services();
    if (!services.length) replaceChildren(list, h('li', {}, 'You have no services yet.'));
    else replaceChildren(list, services.map((s) => h('li', {},
      h('a', { href: `#/services/${encodeURIComponent(s.id)}`, 'data-service': s.id },
        h('span', { class: 'service-name' }, s.name),
        h('span', { class: 'service-meta' }, `${s.product} · VM ${s.vmid}`)))));
    if (services.length === 1 && !location.hash) location.hash = `#/services/${encodeURIComponent(services[0].id)}`;
  } catch (err) {
    handleError(err, list);
    if (/** @type {any} */ (err)?.code === 'STORE_UNAVAILABLE') {
      setTimeout(() => { if (user && !/^#\/services\//.test(location.hash) && main.contains(list)) showServices(); }, STORE_RETRY_MS);
    }
  }
}

/** @param {string} id */
function showService(id) {
  const host = h('div', { class: 'service-host' });
  replaceChildren(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← All services')),
    host);
  mounted = mountSnapshots(host, {
    apiBase: API_BASE,
    serviceId: id,
    csrfToken: api.csrfToken,
    core,
    headingLevel: 1,
    onSessionEnded: () => showLogin('Your session has ended. Please sign in again.'),
  });
}

/**
 * @param {unknown} err
 * @param {HTMLElement} where
 */
function handleError(err, where) {
  const e = /** @type {any} */ (err);
  if (e?.code === 'UNAUTHENTICATED') return showLogin('Your session has ended. Please sign in again.');
  replaceChildren(where, h('li', { class: 'alert', role: 'alert' }, friendlyMessage(e?.code, e?.status)));
}

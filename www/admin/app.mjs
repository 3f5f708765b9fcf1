// The operator's page: sign-in, the section navigation and the hash router.
// Each section is its own module, loaded when first opened, exporting
//   mount(container: HTMLElement, ctx: SectionContext) → {destroy?(): void} | void
// `#/<section>/<rest…>` opens a section; rest (decoded) is the section's own
// (e.g. `#/fleet/svc-101` is one service's detail). Relative URLs, so the
// page works under the server's --base-path.
import { PanelApi } from '../panel/api.mjs';
import { h, replaceChildren } from '../panel/dom.mjs';
import { showLoginForm } from '../panel/login-form.mjs';
import { errorAlert } from './ui.mjs';

/**
 * @typedef {object} SectionContext
 * @property {PanelApi} api the admin API (`api.request(method, path, body)`, path below /admin/api, CSRF included)
 * @property {string[]} rest the hash segments after the section's id, decoded
 * @property {(hash: string) => void} navigate e.g. `navigate('#/fleet/' + encodeURIComponent(id))`
 * @property {(err: unknown) => boolean} sessionEnded call with an API error: true (and shows the sign-in) when the session is gone
 * @property {(text: string) => void} announce says `text` to screen readers (polite)
 * @property {(title: string) => void} setTitle replaces the page's one <h1> (and the document title)
 * @typedef {{destroy?: () => void} | void} Mounted
 * @typedef {{id: string, title: string, module: string}} Section
 */

/** The sections, in the navigation's order. `module` is relative to this file. */
export const SECTIONS = Object.freeze([
  { id: 'fleet', title: 'Fleet', module: './fleet.mjs' },
  { id: 'jobs', title: 'Job runs', module: './jobs.mjs' },
  { id: 'audit', title: 'Audit', module: './audit.mjs' },
  { id: 'alerts', title: 'Alerts', module: './alerts.mjs' },
]);

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const userBox = /** @type {HTMLElement} */ (document.getElementById('user'));
const live = /** @type {HTMLElement} */ (document.getElementById('announce'));
const api = new PanelApi({ apiBase: new URL('./api', import.meta.url).pathname });
/** @type {{username: string, displayName: string} | null} */
let operator = null;
/** @type {Mounted} */
let mounted;
let routeSeq = 0;

window.addEventListener('hashchange', route);
await start();

async function start() {
  try {
    const s = await api.request('GET', '/session');
    signedIn(s.operator, s.csrfToken);
  } catch {
    showLogin();
  }
}

/**
 * @param {{username: string, displayName: string}} o
 * @param {string} csrfToken
 */
function signedIn(o, csrfToken) {
  operator = o;
  api.csrfToken = csrfToken;
  replaceChildren(userBox,
    h('span', { class: 'user-name' }, o.displayName || o.username),
    h('button', { type: 'button', class: 'btn btn-small', onclick: logout }, 'Sign out'));
  replaceChildren(nav, SECTIONS.map((s) => h('a', { href: `#/${s.id}`, 'data-section': s.id }, s.title)));
  nav.hidden = false;
  route();
}

function unmount() {
  if (mounted && mounted.destroy) mounted.destroy();
  mounted = undefined;
}

/** @param {string} [notice] */
function showLogin(notice) {
  unmount();
  operator = null;
  nav.hidden = true;
  replaceChildren(nav);
  replaceChildren(userBox);
  main.classList.remove('admin-wide');
  document.title = 'Operator sign-in · Snapshots';
  showLoginForm(main, {
    title: 'Operator sign-in', notice,
    async signIn(username, password) {
      const out = await api.request('POST', '/login', { username, password });
      signedIn(out.operator, out.csrfToken);
    },
    describeError: (e) => (e?.code === 'INVALID_CREDENTIALS' ? 'Wrong username or password.' : String(e?.message ?? e)),
  });
}

async function logout() {
  try { await api.request('POST', '/logout'); } catch { /* the session is gone either way */ }
  location.hash = '';
  showLogin();
}

/** @param {unknown} err */
function sessionEnded(err) {
  if (/** @type {any} */ (err)?.code !== 'UNAUTHENTICATED') return false;
  showLogin('Your session has ended. Please sign in again.');
  return true;
}

/** Reads the hash, marks the section in the navigation and mounts its module. */
async function route() {
  if (!operator) return;
  const seq = ++routeSeq;
  unmount();
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  const section = SECTIONS.find((s) => s.id === parts[0]) ?? SECTIONS[0];
  /** @type {string[]} */
  let rest;
  try {
    rest = parts.slice(1).map(decodeURIComponent);
  } catch {
    rest = [];
  }
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.section === section.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.classList.add('admin-wide');
  const heading = h('h1', { tabindex: '-1' }, section.title);
  const container = h('div', { class: 'section', 'data-section': section.id });
  replaceChildren(main, heading, container);
  document.title = `${section.title} · Operator · Snapshots`;
  heading.focus();
  let mod;
  try {
    mod = await import(section.module);
  } catch {
    if (seq === routeSeq) replaceChildren(container, h('p', { class: 'card empty' }, 'This section is not available yet.'));
    return;
  }
  if (seq !== routeSeq) return;
  /** @type {SectionContext} */
  const ctx = {
    api,
    rest,
    navigate: (hash) => { location.hash = hash; },
    sessionEnded,
    announce: (text) => {
      live.textContent = '';
      // A fresh text node, so the same message twice is announced twice.
      setTimeout(() => { live.textContent = text; }, 50);
    },
    setTitle: (title) => {
      heading.textContent = title;
      document.title = `${title} · Operator · Snapshots`;
    },
  };
  try {
    mounted = mod.mount(container, ctx);
  } catch (err) {
    replaceChildren(container, errorAlert(err));
  }
}

// Raw HTTP access to a running simulator for tests: no client library in
// between, so tests see exactly what Proxmox would send.

/** Default token of startSimulator(). */
export const TOKEN = 'root@pam!panel=SECRET';

/**
 * One entry of a Proxmox answer, fields as Proxmox names them: the tests
 * assert on the shape, so nothing is assumed here.
 * @typedef {Record<string, any>} PveEntry
 */

/**
 * @typedef {object} RawAnswer
 * @property {number} status
 * @property {string} statusText
 * @property {string} text
 * @property {any} json    parsed body, or null when the body is empty
 * @property {Headers} headers
 */

/**
 * Send one request to the simulator.
 * @param {{url: string}} sim
 * @param {string} method
 * @param {string} path  below /api2/json, already percent-encoded
 * @param {{form?: Record<string, string|number>, json?: unknown, rawBody?: string, token?: string|null, headers?: Record<string,string>, query?: Record<string,string|number>}} [opts]
 * @returns {Promise<RawAnswer>}
 */
export async function call(sim, method, path, opts = {}) {
  /** @type {Record<string,string>} */
  const headers = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.Authorization = `PVEAPIToken=${token}`;
  let body;
  if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(Object.entries(opts.form).map(([k, v]) => [k, String(v)])).toString();
  } else if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.rawBody !== undefined) {
    body = opts.rawBody;
  }
  const qs = opts.query ? `?${new URLSearchParams(Object.entries(opts.query).map(([k, v]) => [k, String(v)]))}` : '';
  const res = await fetch(`${sim.url}/api2/json${path}${qs}`, { method, headers, body, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  return { status: res.status, statusText: res.statusText, text, json: text ? JSON.parse(text) : null, headers: res.headers };
}

/**
 * Call and insist on HTTP 200; returns `data`.
 * @param {{url: string}} sim @param {string} method @param {string} path
 * @param {Parameters<typeof call>[3]} [opts]
 */
export async function data(sim, method, path, opts) {
  const r = await call(sim, method, path, opts);
  if (r.status !== 200) throw new Error(`${method} ${path} -> ${r.status} ${r.statusText}: ${r.text}`);
  return r.json.data;
}

/**
 * Poll a task's status until it stops (safety-net timeout, not a timing assertion).
 * @param {{url: string}} sim @param {string} upid @param {{token?: string, timeoutMs?: number}} [opts]
 */
export async function waitTask(sim, upid, opts = {}) {
  const node = upid.split(':')[1];
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const st = await data(sim, 'GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`, { token: opts.token });
    if (st.status === 'stopped') return st;
    if (Date.now() > deadline) throw new Error(`task ${upid} still running after safety timeout`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Snapshot list without the `current` pseudo-entry, as a name → entry map.
 * @param {{url: string}} sim @param {string} node @param {number} vmid @param {'qemu'|'lxc'} [type]
 * @returns {Promise<Map<string, PveEntry>>}
 */
export async function snapshots(sim, node, vmid, type = 'qemu') {
  /** @type {PveEntry[]} */
  const list = await data(sim, 'GET', `/nodes/${node}/${type}/${vmid}/snapshot`);
  return new Map(list.filter((e) => e.name !== 'current').map((e) => [e.name, e]));
}

// Test support for the host API tests (not a test file itself): the
// simulator with the demo cluster plus guests no config service holds, and a
// panel server whose config has a hostApi section with two keys.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { startSimulator } from '../simulator/index.mjs';
import { loadConfig } from '../config.mjs';
import { createPveClient } from '../pve/client.mjs';
import { startPanelServer } from '../server/panel-server.mjs';
import { hostKeyHash } from '../server/host-key.mjs';
import { DEMO_CONFIG, TOKEN_ID, rawRequest } from './server-harness.mjs';

export const HOST_KEY = `pvesnap_${randomBytes(32).toString('base64url')}`;
export const OTHER_KEY = `pvesnap_${randomBytes(32).toString('base64url')}`;

/** Guests only the host API provisions: 301 and 303 on pve1 (qemu), 302 on pve2 (lxc). */
const EXTRA_GUESTS = [
  { vmid: 301, type: 'qemu', node: 'pve1', name: 'whmcs-501', status: 'running', storage: 'lvmthin',
    snapshots: [{ name: 'admin-before-upgrade', description: 'Taken by the host', ageSeconds: 3600, vmstate: 0 }] },
  { vmid: 302, type: 'lxc', node: 'pve2', name: 'whmcs-502', status: 'running', storage: 'lvmthin', snapshots: [] },
  { vmid: 303, type: 'qemu', node: 'pve1', name: 'whmcs-503', status: 'stopped', storage: 'lvmthin', snapshots: [] },
];

/**
 * @param {{serverOptions?: object, hostApi?: object, taskDurationMs?: number}} [options]
 */
export async function startHostStack({ serverOptions = {}, hostApi = {}, taskDurationMs = 100 } = {}) {
  const secret = randomBytes(24).toString('hex');
  const seed = JSON.parse(await readFile(new URL('../simulator/demo-seed.json', import.meta.url), 'utf8'));
  seed.guests.push(...structuredClone(EXTRA_GUESTS));
  const sim = await startSimulator({ port: 0, seed, tokens: [{ id: TOKEN_ID, secret }], taskDurationMs });
  const base = await loadConfig(DEMO_CONFIG, { env: { PVE_URL: sim.url, PVE_TOKEN_ID: TOKEN_ID, PVE_TOKEN_SECRET: secret } });
  const pve = createPveClient({ url: sim.url, tokenId: TOKEN_ID, tokenSecret: secret, timeoutMs: 10_000 });
  /** @type {Array<{event: string, fields: any}>} */
  const events = [];
  const config = {
    ...base,
    hostApi: {
      keys: [{ name: 'whmcs', sha256: hostKeyHash(HOST_KEY) }, { name: 'whmcs-next', sha256: hostKeyHash(OTHER_KEY) }],
      publicUrl: 'http://127.0.0.1:1', ssoTtlSeconds: 60, ...hostApi,
    },
  };
  const panel = await startPanelServer({
    config, pve, now: () => sim.clock.now(), taskIntervalMs: 20, taskTimeoutMs: 20_000,
    log: (event, fields) => { events.push({ event, fields }); }, ...serverOptions,
  });
  // The port is known only now; links are built from the config at minting time.
  if (!(/** @type {any} */ (hostApi).publicUrl)) config.hostApi.publicUrl = panel.url;
  return {
    sim,
    panel,
    url: panel.url,
    config,
    events,
    /**
     * A host API call with the key (or `key: null` for none).
     * @param {string} method
     * @param {string} path after /host/v1
     * @param {{body?: unknown, key?: string | null, headers?: Record<string, string>}} [o]
     */
    host(method, path, { body, key = HOST_KEY, headers = {} } = {}) {
      /** @type {Record<string, string>} */
      const h = { ...headers };
      if (key !== null) h.Authorization = `Bearer ${key}`;
      if (body !== undefined) h['Content-Type'] = 'application/json';
      return rawRequest(panel.url, method, `/host/v1${path}`, { headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    },
    async close() {
      await panel.close();
      pve.close();
      await sim.close();
    },
  };
}

#!/usr/bin/env node
// Entry point of the panel: `node www/server/main.mjs [--config FILE] [--data-dir DIR] [--port 8080] [--host 127.0.0.1]`.
// Without PVE_URL it runs against the in-process simulator (demo seed, random
// token secret, a fresh temporary data directory) so a newcomer can sign in
// right away; with PVE_URL (and PVE_TOKEN_SECRET or pve.tokenSecretFile) it
// talks to the real cluster. The store: env DATABASE_URL (PostgreSQL), else
// the SQLite file in --data-dir (default /var/lib/pve-snapshots).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.mjs';
import { createPveClient } from '../pve/client.mjs';
import { startPanelServer } from './panel-server.mjs';
import { parseListen, startMetricsServer } from './metrics.mjs';
import { openStore, storeOptionsFrom, describeStore, maskUrl } from '../store/index.mjs';
import { redactSecret, urlPassword } from '../store/errors.mjs';

const DEMO_CONFIG = fileURLToPath(new URL('./demo-config.json', import.meta.url));
const DEMO_LOGINS = [['alice', 'alice-demo'], ['bob', 'bob-demo']];
const DEMO_OPERATOR = ['admin', 'admin-demo'];
const USAGE = 'usage: node www/server/main.mjs [--config FILE] [--data-dir DIR] [--port 8080] [--host 127.0.0.1] [--trust-proxy]\n'
  + '                                     [--tls-cert FILE --tls-key FILE] [--base-path /snapshots]\n'
  + '                                     [--frame-ancestors "\'self\' https://billing.example.net"]\n'
  + '                                     [--metrics-listen 127.0.0.1:9464]   (Prometheus GET /metrics there)\n'
  + '  without PVE_URL: demo mode against the built-in Proxmox simulator\n'
  + '  with PVE_URL and PVE_TOKEN_SECRET (or pve.tokenSecretFile): the real cluster, --config required\n'
  + '  store: env DATABASE_URL (PostgreSQL), else DIR/pve-snapshots.db (SQLite; default DIR /var/lib/pve-snapshots,\n'
  + '         in demo mode a fresh temporary directory)\n';
// SIGTERM: how long running Proxmox tasks are still followed before exiting.
const DRAIN_MS = 10_000;

/**
 * @param {string[]} argv
 * @returns {{config?: string, dataDir?: string, port: number, host: string, trustProxy: boolean, tlsCert?: string, tlsKey?: string,
 *   basePath: string, frameAncestors: string, metricsListen: {host: string, port: number} | null}}
 */
function parseCommandLine(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'trust-proxy': { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'base-path': { type: 'string', default: '' },
      'frame-ancestors': { type: 'string', default: "'self'" },
      'metrics-listen': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw Object.assign(new Error('--port: must be an integer from 0 to 65535'), { code: 'INVALID_INPUT' });
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw Object.assign(new Error('--tls-cert and --tls-key go together'), { code: 'INVALID_INPUT' });
  }
  const metricsListen = values['metrics-listen'] === undefined ? null : parseListen(values['metrics-listen']);
  // The panel's address is public; the metrics are for the monitoring network only.
  if (metricsListen && port !== 0 && metricsListen.port === port) {
    throw Object.assign(new Error(`--metrics-listen: must not be the panel's port (${port}); metrics get a listener of their own`), { code: 'INVALID_INPUT' });
  }
  return {
    metricsListen,
    config: values.config, dataDir: values['data-dir'], port, host: /** @type {string} */ (values.host), trustProxy: Boolean(values['trust-proxy']),
    tlsCert: values['tls-cert'], tlsKey: values['tls-key'],
    basePath: /** @type {string} */ (values['base-path']), frameAncestors: /** @type {string} */ (values['frame-ancestors']),
  };
}

async function main() {
  const args = parseCommandLine(process.argv.slice(2));
  /** @type {Array<() => Promise<void> | void>} */
  const cleanups = [];
  let config;
  let demo = false;

  if (process.env.PVE_URL) {
    if (!args.config) throw Object.assign(new Error('--config FILE is required with PVE_URL (the demo config names demo VMs)'), { code: 'INVALID_INPUT' });
    config = await loadConfig(args.config);
  } else {
    demo = true;
    const { startSimulator } = await import('../simulator/index.mjs');
    const tokenId = 'root@pam!panel';
    const secret = randomBytes(24).toString('hex');
    const sim = await startSimulator({ port: 0, seed: 'demo', tokens: [{ id: tokenId, secret }], taskDurationMs: 2000 });
    cleanups.push(() => sim.close());
    // Only these variables: a stray PVE_TOKEN_ID in the shell must not point the demo elsewhere.
    config = await loadConfig(args.config ?? DEMO_CONFIG, { env: { PVE_URL: sim.url, PVE_TOKEN_ID: tokenId, PVE_TOKEN_SECRET: secret } });
  }

  const pve = createPveClient({
    url: config.pve.url, tokenId: config.pve.tokenId, tokenSecret: config.pve.tokenSecret, caFile: config.pve.caFile,
    fingerprint: config.pve.fingerprint, insecure: config.pve.insecure, timeoutMs: config.pve.timeoutMs,
  });
  cleanups.push(() => pve.close());
  const tls = args.tlsCert && args.tlsKey ? { cert: await readFile(args.tlsCert), key: await readFile(args.tlsKey) } : undefined;
  const storeOptions = storeOptionsFrom({
    dataDir: args.dataDir ?? (demo && !process.env.DATABASE_URL ? await mkdtemp(join(tmpdir(), 'pve-snapshots-demo-')) : undefined),
  });
  const store = await openStore({ ...storeOptions, log: logLine });
  cleanups.push(() => store.close());
  const panel = await startPanelServer({
    config, pve, port: args.port, host: args.host, trustProxy: args.trustProxy, tls, basePath: args.basePath,
    frameAncestors: args.frameAncestors, store, log: logLine,
    taskTimeoutMs: config.job?.taskTimeoutMs ?? 600_000,
  });
  let draining = false;
  cleanups.unshift(() => (draining ? panel.drain(DRAIN_MS) : panel.close()));

  const lines = [`pve-snapshots panel: ${panel.url}${args.basePath}/`];
  if (args.metricsListen) {
    const metricsServer = await startMetricsServer({ metrics: panel.metrics, ...args.metricsListen });
    cleanups.unshift(() => metricsServer.close());
    lines.push(`  metrics: ${metricsServer.url} (Prometheus text format)`);
  }
  if (config.hostApi) {
    lines.push(`  host API: ${panel.url}${args.basePath}/host/v1 (${config.hostApi.keys.length} key(s): ${config.hostApi.keys.map((k) => k.name).join(', ')}); `
      + `sign-on links from ${config.hostApi.publicUrl}`);
  }
  if (demo) {
    lines.push('  demo mode: Proxmox VE simulator in this process (set PVE_URL for a real cluster)');
    for (const [user, password] of DEMO_LOGINS) lines.push(`  demo login: ${user} / ${password}`);
    lines.push(`  demo operator: ${DEMO_OPERATOR[0]} / ${DEMO_OPERATOR[1]} at ${panel.url}${args.basePath}/admin/`);
  } else {
    lines.push(`  Proxmox VE: ${config.pve.url} as ${config.pve.tokenId}`);
  }
  lines.push(`  store: ${describeStore(storeOptions)}`);
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  /** @param {boolean} drain */
  const stop = async (drain) => {
    if (stopping) return;
    stopping = true;
    draining = drain;
    for (const fn of cleanups) await fn();
    process.exit(0);
  };
  process.on('SIGINT', () => stop(false));
  process.on('SIGTERM', () => stop(true));
}

const dbSecret = process.env.DATABASE_URL ? urlPassword(process.env.DATABASE_URL) : null;

/**
 * The server's log line; nothing it prints may carry the database password.
 * @param {string} event @param {object} fields
 */
function logLine(event, fields) {
  const text = `${new Date().toISOString()} panel ${event} ${JSON.stringify(fields)}`;
  process.stderr.write(`${redactSecret(text, dbSecret)}\n`);
}

main().catch((err) => {
  const text = `pve-snapshots panel: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}`;
  process.stderr.write(`${redactSecret(process.env.DATABASE_URL ? text.split(process.env.DATABASE_URL).join(maskUrl(process.env.DATABASE_URL)) : text, dbSecret)}\n`);
  if (err?.code === 'INVALID_INPUT' || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') process.stderr.write(USAGE);
  process.exit(err?.code === 'CONFIG_INVALID' || err?.code === 'INVALID_INPUT' ? 2 : 1);
});

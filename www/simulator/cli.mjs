#!/usr/bin/env node
// Command-line entry: serve the simulator until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSimulator } from './index.mjs';

const HELP = `Proxmox VE API simulator (pve-snapshots test double)

Usage: node www/simulator/cli.mjs [options]

  --port N               TCP port (default 8006; 0 = any free port)
  --host ADDR            listen address (default 127.0.0.1)
  --token ID=SECRET      accepted API token, e.g. 'root@pam!panel=SECRET'
                         (repeatable; default root@pam!panel=SECRET).
                         Append ':PRIV,PRIV' to limit privileges, e.g.
                         'root@pam!ro=S:VM.Audit' (default: VM.Audit,
                         VM.Snapshot, VM.Snapshot.Rollback, VM.PowerMgmt, Sys.Audit)
  --seed FILE|demo       seed JSON file (default: demo, www/simulator/demo-seed.json)
  --tls-key FILE         serve HTTPS with this PEM key ...
  --tls-cert FILE        ... and this PEM certificate (both needed)
  --task-ms N            how long create/delete/rollback tasks run (default 300)
  --latency N            ms added to every answer (default 0)
  --jitter N             plus a random 0..N ms
  --error-rate R         0..1: share of requests answered 500/503 at random
  --error-paths P,P      limit --error-rate to paths containing one of these
  --hang-paths P,P       requests to paths containing one of these never get an answer
  --hang-tasks           tasks never finish (locks stay set)
  --stuck-deletes        snapshot removals fail and leave lock + snapstate
  --node-skew NODE=MS    that node's clock runs MS ahead (negative: behind); repeatable
  --auth-delay N         ms to wait before a 401 (real Proxmox: 3000; default 0)
  --clock ISO|MS         simulated time at start (default: now); snapshot ages
                         in the seed are relative to it
  --random SEED          PRNG seed for faults, jitter, list order (default 42)
  --cors-loopback        answer CORS and preflights for pages on loopback
                         origins (localhost, 127.0.0.0/8, [::1]) only, so a
                         browser test page can call the API; off by default
                         (Proxmox answers no CORS)
  --help                 this text

Serves /api2/json/... like pveproxy on port 8006. Prints the base URL once listening.
`;

/** @param {string} spec 'user@realm!id=SECRET[:PRIV,PRIV]' */
function parseToken(spec) {
  const eq = spec.indexOf('=');
  if (eq < 0) throw new Error(`--token must look like 'user@realm!tokenid=SECRET', got '${spec.replace(/=.*/, '=…')}'`);
  const id = spec.slice(0, eq);
  let secret = spec.slice(eq + 1);
  let privileges;
  const colon = secret.lastIndexOf(':');
  if (colon >= 0 && /^[A-Za-z.,]+$/.test(secret.slice(colon + 1))) {
    privileges = secret.slice(colon + 1).split(',').filter(Boolean);
    secret = secret.slice(0, colon);
  }
  return { id, secret, ...(privileges ? { privileges } : {}) };
}

/** @param {string|undefined} v @param {string} name */
function num(v, name) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} needs a number, got '${v}'`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' },
      'task-ms': { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      'error-rate': { type: 'string' },
      'error-paths': { type: 'string' },
      'hang-paths': { type: 'string' },
      'hang-tasks': { type: 'boolean' },
      'node-skew': { type: 'string', multiple: true },
      'stuck-deletes': { type: 'boolean' },
      'auth-delay': { type: 'string' },
      clock: { type: 'string' },
      random: { type: 'string' },
      'cors-loopback': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (Boolean(values['tls-key']) !== Boolean(values['tls-cert'])) throw new Error('--tls-key and --tls-cert go together');
  let clockMs;
  if (values.clock !== undefined) {
    clockMs = /^\d+$/.test(values.clock) ? Number(values.clock) : Date.parse(values.clock);
    if (!Number.isFinite(clockMs)) throw new Error(`--clock needs an ISO date or epoch ms, got '${values.clock}'`);
  }
  const sim = await startSimulator({
    port: num(values.port, '--port') ?? 8006,
    host: values.host ?? '127.0.0.1',
    seed: values.seed ?? 'demo',
    tokens: values.token?.length ? values.token.map(parseToken) : undefined,
    tls: values['tls-key'] && values['tls-cert'] ? { key: readFileSync(values['tls-key']), cert: readFileSync(values['tls-cert']) } : false,
    taskDurationMs: num(values['task-ms'], '--task-ms'),
    clockMs,
    random: values.random,
    authFailDelayMs: num(values['auth-delay'], '--auth-delay'),
    corsLoopback: Boolean(values['cors-loopback']),
    faults: {
      latencyMs: num(values.latency, '--latency') ?? 0,
      jitterMs: num(values.jitter, '--jitter') ?? 0,
      errorRate: num(values['error-rate'], '--error-rate') ?? 0,
      errorPaths: values['error-paths'] ? values['error-paths'].split(',') : null,
      hang: values['hang-paths'] ? { paths: values['hang-paths'].split(',') } : false,
      hangTasks: Boolean(values['hang-tasks']),
      nodeClockSkewMs: Object.fromEntries((values['node-skew'] ?? []).map((spec) => {
        const m = /^([^=]+)=(-?\d+)$/.exec(spec);
        if (!m) throw new Error(`--node-skew must look like NODE=MS, got '${spec}'`);
        return [m[1], Number(m[2])];
      })),
      stuckDeletes: Boolean(values['stuck-deletes']),
    },
  });
  process.stdout.write(`pve simulator listening on ${sim.url} (API at ${sim.url}/api2/json)\n`);
  const stop = async () => {
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`simulator: ${err.message}\n`);
  process.exit(2);
});

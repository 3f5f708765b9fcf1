// Shared by the cron-*.test.mjs files: a simulator with a seed built for
// expiry, a config file pointing at it, and the real command run as a child
// process. Not a test file itself (it only exports helpers).
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../simulator/index.mjs';

export const DAY_S = 86_400;
export const DAY_MS = DAY_S * 1000;
export const SECRET = 'a8d9c1e2-3f40-4b5c-8d6e-7f8091a2b3c4';
export const TOKEN_ID = 'root@pam!panel';
export const EXPIRE = fileURLToPath(new URL('../cron/expire.mjs', import.meta.url));

/**
 * A managed snapshot name as the core generates it (prefix "snap"). The
 * timestamp in the name is deliberately unrelated to its age: the job must
 * judge by Proxmox's snaptime, never by the name.
 * @param {number} i
 */
export const managed = (i) => `snap20260101T${String(100000 + i).slice(0, 6)}`;

/**
 * Starts a simulator with a short task time, returning it plus a helper that
 * cleans up everything (simulator and temp dir) for an `after()` hook.
 * @param {object} seed  any shape: the simulator checks it as it starts (buildState)
 * @param {import('../simulator/index.mjs').SimulatorOptions} [options] passed to startSimulator
 */
export async function startSim(seed, options = {}) {
  return startSimulator({ port: 0, seed: /** @type {import('../simulator/guests.mjs').Seed} */ (seed), tokens: [{ id: TOKEN_ID, secret: SECRET }], taskDurationMs: 40, ...options });
}

/** @param {string} prefix @returns {Promise<{dir: string, cleanup: () => Promise<void>}>} */
export async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes a job config for `services` (product "s": lifetime 3 days unless
 * given) pointing at `url`.
 * @param {string} dir
 * @param {{url: string, services: object[], products?: object, job?: object, pve?: object, name?: string}} o
 * @returns {Promise<string>} the config path
 */
export async function writeConfig(dir, { url, services, products, job = {}, pve = {}, name = 'config.json' }) {
  const path = join(dir, name);
  const config = {
    pve: { url, tokenId: TOKEN_ID, timeoutMs: 5000, ...pve },
    products: products ?? { s: { maxSnapshots: 5, lifetimeDays: 3 } },
    services,
    // The tests move the simulator's clock by days: allow that much skew.
    job: { stateDir: join(dir, 'state'), taskTimeoutMs: 10_000, concurrency: 4, perNode: 2, maxClockSkewMs: 365 * DAY_MS, ...job },
  };
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * A service entry for product "s".
 * @param {number} vmid @param {'qemu'|'lxc'} [type] @param {string} [product]
 */
export const service = (vmid, type = 'qemu', product = 's') => ({ id: `svc-${vmid}`, customer: `c${vmid}`, vmid, type, product, name: `vm${vmid}` });

/**
 * Runs `node www/cron/expire.mjs ARGS` with the token secret in env.
 * @param {string[]} args
 * @param {{env?: Record<string, string>, timeoutMs?: number, onStderr?: (text: string) => void,
 *   onSpawn?: (child: import('node:child_process').ChildProcess) => void}} [options]
 * @returns {Promise<{code: number|null, stdout: string, stderr: string, json: any}>}
 *   `json` is the parsed stdout when --json was given
 */
export function runJob(args, { env = {}, timeoutMs = 45_000, onStderr, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXPIRE, ...args], {
      env: { PATH: process.env.PATH, PVE_TOKEN_SECRET: SECRET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; onStderr?.(c); });
    // A safety net only: a job that hangs is a failure, not something to wait out.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      let json = null;
      if (args.includes('--json')) {
        try { json = JSON.parse(stdout); } catch { json = null; }
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/**
 * Names of the snapshots the simulator holds for `vmid` (without `current`).
 * @param {import('../simulator/index.mjs').Simulator} sim @param {number} vmid
 */
export function names(sim, vmid) {
  return sim.vm(vmid).snapshots.map((s) => s.name).filter((n) => n !== 'current').sort();
}

/**
 * The DELETE requests the simulator received, as "vmid name" strings.
 * @param {import('../simulator/index.mjs').Simulator} sim
 */
export function deleteRequests(sim) {
  return sim.requests.filter((r) => r.method === 'DELETE').map((r) => decodeURIComponent(r.path).replace(/^.*\/(qemu|lxc)\/(\d+)\/snapshot\/([^/]+)$/, '$2 $3'));
}

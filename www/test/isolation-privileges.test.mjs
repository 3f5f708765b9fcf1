// Least privilege for the Proxmox API token (SECURITY.md): the expiry job
// and the panel work with exactly the privileges SECURITY.md names, and a
// token with less is refused by Proxmox without anything changing. The
// simulator checks privileges per token as Proxmox does per path (see its
// README), so this shows what the code needs, not what an ACL tree allows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startSimulator } from '../simulator/index.mjs';
import { loadConfig } from '../config.mjs';
import { createPveClient } from '../pve/client.mjs';
import { startPanelServer } from '../server/panel-server.mjs';
import { Browser, DEMO_CONFIG, TOKEN_ID, leakedInReplies } from './server-harness.mjs';
import { startSim, tempDir, writeConfig, service, runJob } from './cron-harness.mjs';
import { drillSeed } from './helpers/drill-expiry.mjs';

/** @type {Array<() => unknown>} run after the suite, newest first */
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const JOB_PRIVILEGES = ['VM.Audit', 'VM.Snapshot'];
// Rollback accepts VM.Snapshot or VM.Snapshot.Rollback (FACTS.md §1), so the
// latter adds nothing for a token that must create and remove anyway.
const PANEL_PRIVILEGES = ['VM.Audit', 'VM.Snapshot'];

/** The expiry job against a simulator whose token has `privileges`. @param {string[]} privileges */
async function jobWith(privileges) {
  const { seed, plans } = drillSeed(6);
  const sim = await startSim(seed, { tokens: [{ id: 'root@pam!panel', secret: 'a8d9c1e2-3f40-4b5c-8d6e-7f8091a2b3c4', privileges }] });
  const tmp = await tempDir('isolation-priv-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const config = await writeConfig(tmp.dir, { url: sim.url, services: [...plans.keys()].map((v) => service(v, plans.get(v)?.type)) });
  const r = await runJob(['--config', config, '--json']);
  /** @param {number} vmid */
  const left = (vmid) => sim.vm(vmid).snapshots.map((s) => s.name).sort();
  return { sim, plans, r, left };
}

test(`the expiry job needs only ${JOB_PRIVILEGES.join(' + ')} (Sys.Audit only for the node clock)`, async () => {
  const { plans, r, left } = await jobWith(JOB_PRIVILEGES);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.clock.source, 'local', 'without Sys.Audit the job falls back to its own clock and says so');
  for (const [vmid, plan] of plans) assert.deepEqual(left(vmid), [...plan.protected].sort(), `vm ${vmid}`);
});

test('a token with only VM.Audit deletes nothing: every DELETE is refused by Proxmox (403)', async () => {
  const { sim, plans, r, left } = await jobWith(['VM.Audit']);
  assert.equal(r.code, 1, 'reported as failures');
  assert.ok(sim.requests.some((q) => q.method === 'DELETE' && q.status === 403));
  for (const [vmid, plan] of plans) assert.deepEqual(left(vmid), [...plan.expired, ...plan.protected].sort(), `vm ${vmid}`);
});

/** Simulator (demo seed) + panel server whose token has `privileges`. @param {string[]} privileges */
async function panelWith(privileges) {
  const secret = randomBytes(24).toString('hex');
  const sim = await startSimulator({ port: 0, seed: 'demo', tokens: [{ id: TOKEN_ID, secret, privileges }], taskDurationMs: 50 });
  const config = await loadConfig(DEMO_CONFIG, { env: { PVE_URL: sim.url, PVE_TOKEN_ID: TOKEN_ID, PVE_TOKEN_SECRET: secret } });
  const pve = createPveClient({ url: sim.url, tokenId: TOKEN_ID, tokenSecret: secret, timeoutMs: 10_000 });
  const panel = await startPanelServer({ config, pve, now: () => sim.clock.now(), taskIntervalMs: 50, taskTimeoutMs: 20_000, log: () => {} });
  cleanups.push(async () => { await panel.close(); pve.close(); await sim.close(); });
  sim.setLock(103, null); // the demo seed has a backup running there
  /** @type {import('./server-harness.mjs').Reply[]} */
  const replies = [];
  const alice = new Browser(panel.url, replies);
  assert.equal((await alice.login('alice', 'alice-demo')).status, 200);
  /** @param {string} svc @param {import('./server-harness.mjs').Reply} r */
  const outcome = async (svc, r) => (r.status === 202 ? (await alice.waitTask(svc, r.json.task.id)).json.task.state : `${r.status} ${r.json?.error?.code}`);
  return { sim, alice, replies, secret, outcome };
}

test(`the panel needs ${PANEL_PRIVILEGES.join(' + ')}, and VM.PowerMgmt only to restart a running VM after a rollback`, async () => {
  const { sim, alice, replies, secret, outcome } = await panelWith(PANEL_PRIVILEGES);
  // Create, read its own task (no Sys.Audit needed for the token's own tasks), remove.
  const created = await alice.send('POST', '/api/services/svc-101/snapshots', { json: {} });
  assert.equal(await outcome('svc-101', created), 'ok');
  assert.equal(await outcome('svc-101', await alice.send('DELETE', `/api/services/svc-101/snapshots/${created.json.task.name}`)), 'ok');
  // Rollback of a stopped VM, and of a running one that stays stopped.
  assert.equal(await outcome('svc-102', await alice.send('POST', '/api/services/svc-102/snapshots/snap20261124T200000/rollback', { json: {} })), 'ok');
  assert.equal(await outcome('svc-103', await alice.send('POST', '/api/services/svc-103/snapshots/snap20261123T120000/rollback', { json: { start: false } })), 'ok');
  // Restarting after the rollback needs VM.PowerMgmt (qemu-server >= 9.1.10 checks it up front): refused, nothing changed.
  sim.setStatus(103, 'running');
  const writes = sim.requests.filter((q) => q.method !== 'GET').length;
  const restart = await alice.send('POST', '/api/services/svc-103/snapshots/snap20261123T120000/rollback', { json: { start: true } });
  assert.equal(restart.status, 502, restart.text);
  assert.equal(restart.json.error.code, 'PVE_FORBIDDEN');
  assert.equal(sim.requests.filter((q) => q.method !== 'GET').length, writes + 1, 'one refused POST, no task');
  assert.equal(sim.vm(103).status, 'running');
  assert.deepEqual(leakedInReplies(replies, secret), []);
});

test('with VM.PowerMgmt the rollback restarts the VM; with VM.Audit alone nothing can be created, removed or rolled back', async () => {
  const power = await panelWith([...PANEL_PRIVILEGES, 'VM.PowerMgmt']);
  assert.equal(await power.outcome('svc-103', await power.alice.send('POST', '/api/services/svc-103/snapshots/snap20261123T120000/rollback', { json: { start: true } })), 'ok');
  assert.equal(power.sim.vm(103).status, 'running');

  const readOnly = await panelWith(['VM.Audit']);
  const before = JSON.stringify(readOnly.sim.vms());
  for (const [method, path, json] of [
    ['POST', '/api/services/svc-101/snapshots', {}],
    ['DELETE', '/api/services/svc-103/snapshots/snap20261123T120000', undefined],
    ['POST', '/api/services/svc-103/snapshots/snap20261123T120000/rollback', { start: false }],
  ]) {
    const r = await readOnly.alice.send(/** @type {string} */ (method), /** @type {string} */ (path), { json });
    assert.equal(r.status, 502, `${method} ${path}: ${r.text}`);
    assert.equal(r.json.error.code, 'PVE_FORBIDDEN');
  }
  assert.equal((await readOnly.alice.send('GET', '/api/services/svc-101/snapshots')).status, 200, 'reading needs VM.Audit only');
  assert.equal(JSON.stringify(readOnly.sim.vms()), before, 'nothing changed');
  assert.deepEqual(leakedInReplies(readOnly.replies, readOnly.secret), []);
});

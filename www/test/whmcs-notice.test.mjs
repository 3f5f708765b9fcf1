// The WHMCS module's notice receiver, run by the real php (`php -S`) with
// the WHMCS stub in place of init.php: a signed notice asks WHMCS (localAPI
// SendEmail) to email the customer once; a bad signature, a stale timestamp
// or a replayed id sends nothing. Then the whole way: the expiry job posts
// to it, the first attempt fails, the next run's gets through, one email.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WHMCS_DIR } from './whmcs-php.mjs';
import { freePort } from './helpers/pg-cluster.mjs';
import { DAY_S, managed, names, runJob, startSim, writeConfig } from './cron-harness.mjs';

const SECRET = 'whmcs-notify-secret-0123456789';
/** @type {{url: string, apiLog: string, stateDir: string, stop(): Promise<void>}} */
let receiver;
/** @type {string} */
let dir;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pve-whmcs-notice-'));
  const config = join(dir, 'notice-config.php');
  const stateDir = join(dir, 'seen');
  await writeFile(config, `<?php return array('secret' => '${SECRET}', 'stateDir' => '${stateDir}',
    'templates' => array('snapshot.expiring' => 'Snapshot Expiring', 'snapshot.removed' => 'Snapshot Removed'));\n`);
  const apiLog = join(dir, 'api.jsonl');
  const port = await freePort();
  const child = spawn('php', ['-S', `127.0.0.1:${port}`, join(WHMCS_DIR, 'tests', 'notice-router.php')], {
    env: { PATH: process.env.PATH, PVESNAPSHOTS_NOTICE_CONFIG: config, PVESNAPSHOTS_TEST_API_LOG: apiLog },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = `http://127.0.0.1:${port}/modules/servers/pvesnapshots/notice.php`;
  for (let i = 0; ; i++) {
    try {
      await fetch(url);
      break;
    } catch {
      if (i > 100 || child.exitCode !== null) throw new Error(`php -S did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  receiver = { url, apiLog, stateDir, async stop() { child.kill(); await exited; } };
});
after(async () => {
  await receiver?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The SendEmail requests WHMCS got. @returns {Promise<Array<{command: string, values: any, failed: boolean}>>} */
async function apiCalls() {
  if (!existsSync(receiver.apiLog)) return [];
  return (await readFile(receiver.apiLog, 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** @param {{id?: string, type?: string, service?: string, name?: string}} [o] */
const notice = ({ id = randomUUID(), type = 'snapshot.expiring', service = '501', name = managed(1) } = {}) => JSON.stringify({
  id, type, occurredAt: '2026-12-06T03:00:00.000Z', service: { id: service }, customer: { id: '77' }, vmid: 301,
  snapshot: { name, description: 'before the upgrade', expiresAt: '2026-12-07T03:00:00.000Z' },
});
/** @param {number} ts @param {string} raw */
const sign = (ts, raw) => `sha256=${createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')}`;
const nowS = () => Math.floor(Date.now() / 1000);

/**
 * @param {string} raw @param {{ts?: number, signature?: string | null, method?: string}} [o]
 */
async function deliver(raw, { ts = nowS(), signature, method = 'POST' } = {}) {
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json' };
  if (signature !== null) {
    headers['x-pve-snapshots-timestamp'] = String(ts);
    headers['x-pve-snapshots-signature'] = signature ?? sign(ts, raw);
  }
  const r = await fetch(receiver.url, { method, headers, body: method === 'GET' ? undefined : raw });
  return { status: r.status, json: await r.json() };
}

test('a signed notice: one SendEmail with the template and the snapshot; a replay of its id sends nothing', async () => {
  const before = (await apiCalls()).length;
  const raw = notice();
  const ok = await deliver(raw);
  assert.deepEqual([ok.status, ok.json.result], [200, 'sent']);
  const calls = (await apiCalls()).slice(before);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].command, 'SendEmail');
  assert.equal(calls[0].values.messagename, 'Snapshot Expiring');
  assert.equal(calls[0].values.id, 501, 'the WHMCS service: its owner gets the email');
  const vars = Buffer.from(calls[0].values.customvars, 'base64').toString('utf8');
  for (const part of [`"pvesnapshots_snapshot_name";s:${managed(1).length}:"${managed(1)}"`, '"before the upgrade"', '"2026-12-07T03:00:00.000Z"', '"pvesnapshots_vmid";i:301']) {
    assert.ok(vars.includes(part), `${part} in ${vars}`);
  }

  // The same notice again, freshly signed (a replay, or the job's retry after a lost answer).
  const again = await deliver(raw);
  assert.deepEqual([again.status, again.json.result], [200, 'duplicate']);
  const removed = await deliver(notice({ type: 'snapshot.removed' }));
  assert.equal(removed.status, 200);
  const all = (await apiCalls()).slice(before);
  assert.deepEqual(all.map((c) => c.values.messagename), ['Snapshot Expiring', 'Snapshot Removed']);
});

test('refused, nothing sent: a bad signature, a stale timestamp, no headers, not a POST, not a notice', async () => {
  const before = (await apiCalls()).length;
  const raw = notice();
  const ts = nowS();
  /** @type {Array<[string, Promise<{status: number, json: any}>, number, string]>} */
  const cases = [
    ['altered body, original signature', deliver(raw.replace('501', '502'), { ts, signature: sign(ts, raw) }), 401, 'BAD_SIGNATURE'],
    ['another timestamp, original signature', deliver(raw, { ts: ts + 1, signature: sign(ts, raw) }), 401, 'BAD_SIGNATURE'],
    ['wrong secret', deliver(raw, { signature: `sha256=${createHmac('sha256', 'another-secret-123456').update(`${ts}.${raw}`).digest('hex')}` }), 401, 'BAD_SIGNATURE'],
    ['signed 6 minutes ago', deliver(raw, { ts: ts - 360 }), 401, 'STALE_TIMESTAMP'],
    ['signed 6 minutes ahead', deliver(raw, { ts: ts + 360 }), 401, 'STALE_TIMESTAMP'],
    ['no headers', deliver(raw, { signature: null }), 401, 'UNSIGNED'],
    ['a GET', deliver(raw, { method: 'GET' }), 405, 'METHOD_NOT_ALLOWED'],
    ['signed, but not JSON', deliver('{"id": '), 400, 'INVALID_NOTICE'],
    ['signed, unknown type', deliver(notice({ type: 'snapshot.eaten' })), 400, 'INVALID_NOTICE'],
  ];
  for (const [what, reply, status, code] of cases) {
    const r = await reply;
    assert.deepEqual([r.status, r.json.error?.code], [status, code], what);
  }
  assert.equal((await apiCalls()).length, before, 'no email request');
  // The refused notice was not marked as handled: the genuine delivery still goes through.
  assert.equal((await deliver(raw)).json.result, 'sent');
});

test('a service of the panel\'s own config is not a WHMCS service: acknowledged, no email', async () => {
  const before = (await apiCalls()).length;
  const r = await deliver(notice({ service: 'svc-101' }));
  assert.deepEqual([r.status, r.json.result], [200, 'ignored']);
  assert.equal((await apiCalls()).length, before);
});

test('the job to the receiver: the first attempt fails, the next run\'s gets through, one email, signed and verified', async (t) => {
  const sim = await startSim({ nodes: ['pve1'], guests: [
    { vmid: 701, type: 'qemu', node: 'pve1', name: 'vm701', status: 'running', storage: 'lvmthin',
      snapshots: [{ name: managed(1), description: 'nightly', ageSeconds: 2.5 * DAY_S, vmstate: 0 }] },
  ] });
  t.after(() => sim.close());
  const jobDir = await mkdtemp(join(tmpdir(), 'pve-whmcs-notice-job-'));
  t.after(() => rm(jobDir, { recursive: true, force: true }));
  // A WHMCS service: its id is WHMCS's service id.
  const path = await writeConfig(jobDir, { url: sim.url, services: [{ id: '701', customer: 'c77', vmid: 701, type: 'qemu', product: 's', name: 'vm701' }] });
  const config = JSON.parse(await readFile(path, 'utf8'));
  await writeFile(path, JSON.stringify({ ...config, notify: { url: receiver.url } }));
  const run = () => runJob(['--config', path, '--json'], { env: { NOTIFY_SECRET: SECRET } });
  const mine = async () => (await apiCalls()).filter((c) => c.values.id === 701);

  await writeFile(`${receiver.apiLog}.fail`, '');
  let r;
  try {
    r = await run();
  } finally {
    await rm(`${receiver.apiLog}.fail`);
  }
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.notices.failed, 1, JSON.stringify(r.json.notices));
  assert.match(r.json.notices.failures[0].message, /HTTP 502/);
  assert.deepEqual((await mine()).map((c) => c.failed), [true]);

  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.notices.sent, r.json.notices.pending], [1, 0], JSON.stringify(r.json.notices));
  r = await run();
  assert.equal(r.json.notices.sent, 0, 'nothing new');
  const calls = await mine();
  assert.deepEqual(calls.map((c) => [c.failed, c.values.messagename]), [[true, 'Snapshot Expiring'], [false, 'Snapshot Expiring']]);
  assert.ok(Buffer.from(calls[1].values.customvars, 'base64').toString('utf8').includes('"nightly"'));
  assert.deepEqual(names(sim, 701), [managed(1)], 'expiring, not yet removed');
});

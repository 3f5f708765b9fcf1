// Which "now" the job judges expiry by. Proxmox stamps snaptime with the
// node's clock, so the job reads the node's time (GET /nodes/{node}/time);
// when it may not, it says so and uses its own clock; --now overrides both.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_S, DAY_MS, startSim, tempDir, writeConfig, service, runJob, names, managed, TOKEN_ID, SECRET } from './cron-harness.mjs';

/** @type {(() => Promise<unknown>)[]} */
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const seed = () => ({
  nodes: ['pve1', 'pve2'],
  guests: [
    { vmid: 101, type: 'qemu', node: 'pve1', name: 'a', status: 'running', storage: 'lvmthin', snapshots: [{ name: managed(1), ageSeconds: DAY_S }, { name: 'admin', ageSeconds: 90 * DAY_S }] },
    { vmid: 202, type: 'lxc', node: 'pve2', name: 'b', status: 'running', storage: 'zfs', snapshots: [{ name: managed(1), ageSeconds: 2 * DAY_S }, { name: 'vzdump', ageSeconds: 90 * DAY_S }] },
  ],
});

test('with the node\'s time available, moving the Proxmox clock forward makes snapshots expire', async () => {
  const sim = await startSim(seed());
  const tmp = await tempDir('cron-clock-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const config = await writeConfig(tmp.dir, { url: sim.url, services: [service(101), service(202, 'lxc')] });
  const timeRequests = () => sim.requests.filter((q) => /\/nodes\/[^/]+\/time$/.test(q.path)).map((q) => q.path.split('/')[4]);
  const run = () => runJob(['--config', config, '--json']);

  let r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.clock.source, 'proxmox');
  assert.deepEqual(names(sim, 101), ['admin', managed(1)]);
  assert.deepEqual(names(sim, 202), [managed(1), 'vzdump']);
  assert.deepEqual([...new Set(timeRequests())].sort(), ['pve1', 'pve2'], 'asked each node it works on');

  sim.clock.advance(1.5 * DAY_MS); // 202's snapshot is now 3.5 days old, 101's 2.5
  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json.clock.skewMs.pve2 > DAY_MS, `skew recorded: ${JSON.stringify(r.json.clock)}`);
  assert.match(r.stderr, /differs from this machine's by/);
  assert.deepEqual(names(sim, 101), ['admin', managed(1)]);
  assert.deepEqual(names(sim, 202), ['vzdump']);

  sim.clock.advance(DAY_MS);
  r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(names(sim, 101), ['admin']);
});

test('a token that may not read the node time: the job says so and uses its own clock; --now overrides both', async () => {
  const sim = await startSim(seed(), { tokens: [{ id: TOKEN_ID, secret: SECRET, privileges: ['VM.Audit', 'VM.Snapshot'] }] });
  const tmp = await tempDir('cron-clock-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const config = await writeConfig(tmp.dir, { url: sim.url, services: [service(101), service(202, 'lxc')] });
  sim.clock.advance(10 * DAY_MS);

  let r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.clock.source, 'local');
  assert.match(r.stderr, /cannot read the Proxmox time on pve\d \(PVE_FORBIDDEN\); using this machine's clock/);
  assert.equal(names(sim, 101).length + names(sim, 202).length, 4, 'by this machine\'s clock nothing has expired yet');

  r = await runJob(['--config', config, '--json', '--now', new Date(sim.clock.now()).toISOString()]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.clock.source, 'option');
  assert.deepEqual(names(sim, 101), ['admin']);
  assert.deepEqual(names(sim, 202), ['vzdump']);
});

test('each node is asked for its own clock, and a node far off is named', async () => {
  const sim = await startSim(seed(), { faults: { nodeClockSkewMs: { pve2: 2 * DAY_MS } } });
  const tmp = await tempDir('cron-clock-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  const config = await writeConfig(tmp.dir, { url: sim.url, services: [service(101), service(202, 'lxc')] });
  const r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Math.abs(r.json.clock.skewMs.pve1) < 60_000, JSON.stringify(r.json.clock));
  assert.ok(r.json.clock.skewMs.pve2 > 1.9 * DAY_MS, JSON.stringify(r.json.clock));
  assert.match(r.stderr, /the clock of node pve2 differs from this machine's by 17\d{4} s/);
  // By pve2's own clock its 2-day-old snapshot is 4 days old: expired there.
  assert.deepEqual(names(sim, 202), ['vzdump']);
  assert.deepEqual(names(sim, 101), ['admin', managed(1)]);
});

test('a node whose clock is further off than job.maxClockSkewMs is not trusted: nothing deleted there, exit 1', async () => {
  const sim = await startSim(seed(), { faults: { nodeClockSkewMs: { pve2: 2 * DAY_MS } } });
  const tmp = await tempDir('cron-clock-');
  cleanups.push(() => sim.close(), tmp.cleanup);
  // The shipped default (one hour), not the harness's generous test value.
  const config = await writeConfig(tmp.dir, { url: sim.url, services: [service(101), service(202, 'lxc')], job: { maxClockSkewMs: 3_600_000 } });
  const r = await runJob(['--config', config, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const failure = r.json.failures.find((/** @type {{vmid: number}} */ f) => f.vmid === 202);
  assert.equal(failure.code, 'CLOCK_SKEW');
  assert.match(failure.message, /the clock of node pve2 is 17\d{4} s off this machine's, more than job\.maxClockSkewMs/);
  assert.deepEqual(names(sim, 202), [managed(1), 'vzdump'], 'nothing deleted on the untrusted node');
  assert.equal(r.json.failures.length, 1, 'pve1 is fine');
  // An administrator who has checked can still judge by an explicit time.
  const forced = await runJob(['--config', config, '--json', '--now', String(sim.clock.now() + 1.5 * DAY_MS)]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(names(sim, 202), ['vzdump']);
  assert.deepEqual(names(sim, 101), ['admin', managed(1)], '2.5 days old at that time: kept');
});

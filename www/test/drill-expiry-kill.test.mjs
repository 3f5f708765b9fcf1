// Fault drills for the expiry job, part 2: the job killed with SIGKILL at
// seeded points (several per run, each followed by a restart that must take
// the dead run's lock over), and two jobs at once, sharing the lock (a double
// cron start) or not (two hosts configured by mistake, where only the
// re-check before each delete and Proxmox's own locks stand in the way).
// runDrill asserts on the simulator's state after every run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrill, summaryLine } from './helpers/drill-expiry.mjs';

/** @typedef {import('./helpers/drill-expiry.mjs').Drill} Drill */

/** @type {Drill[]} */
const DRILLS = [
  {
    name: 'sigkill-at-random-points', seed: 21, runs: 2, kills: 3, killRange: [3, 160],
    proof: (s) => {
      assert.ok(s.kills >= 2, `the job was killed mid-run (${s.kills} times)`);
      assert.ok((s.notes.lockTakeovers ?? 0) >= 1, 'a restart took the dead run\'s lock over');
    },
  },
  {
    name: 'sigkill-while-proxmox-fails', seed: 22, runs: 2, kills: 2, killRange: [3, 120],
    faults: { errorRate: 0.15, jitterMs: 100 }, pve: { timeoutMs: 150 },
    proof: (s) => {
      assert.ok(s.kills >= 2, `the job was killed mid-run (${s.kills} times)`);
      assert.ok(s.http5xx > 0, 'the drill injected 5xx answers');
    },
  },
  {
    name: 'two-jobs-one-lock', seed: 23, runs: 2, parallel: 'shared-lock',
    proof: (s) => assert.ok((s.notes.lockRefusals ?? 0) >= 1, 'the second job found the lock held (exit 3)'),
  },
  {
    name: 'two-jobs-two-hosts', seed: 24, runs: 2, parallel: 'separate-lock',
    proof: (s) => {
      assert.equal(s.notes.lockRefusals ?? 0, 0);
      assert.ok(!s.exitCodes.includes(3), 'both jobs really ran');
    },
  },
  {
    name: 'chaos-kill-two-hosts-5xx-hung-tasks-backup', seed: 25, runs: 2, kills: 1, killRange: [5, 120], parallel: 'separate-lock',
    faults: (ctx) => { ctx.bag.hung ??= ctx.rng.shuffle(ctx.vmids).slice(0, 3); return { errorRate: 0.1, jitterMs: 80, hangTasks: ctx.bag.hung }; },
    pve: { timeoutMs: 150 }, job: { taskTimeoutMs: 400 },
    events: [{
      afterRequests: [10, 80],
      do: (ctx) => {
        for (const vmid of ctx.rng.shuffle(ctx.vmids.filter((v) => !ctx.sim.vm(v).lock)).slice(0, 2)) {
          ctx.sim.setLock(vmid, 'backup');
          ctx.freeze(vmid);
          ctx.note('backupLocks');
        }
      },
    }],
    proof: (s) => {
      assert.ok(s.kills >= 1 && s.http5xx > 0 && (s.notes.backupLocks ?? 0) > 0, 'every fault of the mix happened');
    },
  },
];

for (const drill of DRILLS) {
  test(`drill ${drill.name}: no protected snapshot touched; all expired gone once faults stop`, async () => {
    const stats = await runDrill(drill);
    console.log(summaryLine(drill, stats));
    assert.equal(stats.wrongDeletes, 0);
  });
}

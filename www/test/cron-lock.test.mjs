// The expiry job's run lock: one holder at a time, stale locks (dead pid,
// past their stale time, unreadable debris) taken over, and never two
// winners, also when many processes race for the same stale lock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, readdir, utimes } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { acquireRunLock, LockBusyError, LOCK_NAME } from '../cron/run-lock.mjs';

const HOUR = 3_600_000;
/** @type {string} */
let root;
let n = 0;
before(async () => { root = await mkdtemp(join(tmpdir(), 'cron-lock-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });
const freshDir = () => join(root, `d${++n}`, 'state');

/** The pid of a process that has certainly exited. */
async function deadPid() {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid;
}

/** @param {string} dir @param {Record<string, unknown>} info */
async function plant(dir, info) {
  const lock = { pid: 1, hostname: hostname(), startedAt: new Date().toISOString(), staleAt: Date.now() + HOUR, token: 'planted', ...info };
  await writeFile(join(dir, LOCK_NAME), JSON.stringify(lock));
  return lock;
}

test('one holder at a time; release frees it; the lock names its holder', async () => {
  const dir = freshDir();
  const a = await acquireRunLock(dir, { staleAfterMs: HOUR });
  const onDisk = JSON.parse(await readFile(join(dir, LOCK_NAME), 'utf8'));
  assert.equal(onDisk.pid, process.pid);
  assert.equal(onDisk.hostname, hostname());
  assert.ok(Date.parse(onDisk.startedAt) > 0);
  assert.equal(a.tookOver, null);
  const err = await acquireRunLock(dir, { staleAfterMs: HOUR }).catch((e) => e);
  assert.ok(err instanceof LockBusyError);
  assert.equal(err.code, 'ALREADY_RUNNING');
  assert.match(err.message, new RegExp(`pid ${process.pid} on `));
  await a.release();
  const b = await acquireRunLock(dir, { staleAfterMs: HOUR });
  await b.release();
  assert.deepEqual(await readdir(dir), [], 'no lock, draft or marker left behind');
});

test('a lock whose process is gone is taken over', async () => {
  const dir = freshDir();
  await acquireRunLock(dir, { staleAfterMs: 1 }).then((l) => l.release()); // creates dir
  const pid = await deadPid();
  await plant(dir, { pid });
  const l = await acquireRunLock(dir, { staleAfterMs: HOUR });
  assert.equal(l.tookOver?.pid, pid);
  assert.match(String(l.tookOver?.staleReason), /is gone/);
  assert.equal(JSON.parse(await readFile(l.path, 'utf8')).pid, process.pid);
  await l.release();
});

test('a lock past its stale time is taken over, even from another host', async () => {
  const dir = freshDir();
  await acquireRunLock(dir, { staleAfterMs: 1 }).then((l) => l.release());
  await plant(dir, { hostname: 'other-host', pid: process.pid, staleAt: Date.now() - 1000 });
  const l = await acquireRunLock(dir, { staleAfterMs: HOUR });
  assert.equal(l.tookOver?.hostname, 'other-host');
  assert.match(String(l.tookOver?.staleReason), /stale time/);
  await l.release();
});

test('a live lock is respected: same host with live pid, or another host within its time', async () => {
  const dir = freshDir();
  await acquireRunLock(dir, { staleAfterMs: 1 }).then((l) => l.release());
  await plant(dir, { pid: process.pid });
  assert.ok((await acquireRunLock(dir, { staleAfterMs: HOUR }).catch((e) => e)) instanceof LockBusyError);
  await plant(dir, { hostname: 'other-host', pid: 999999 });
  assert.ok((await acquireRunLock(dir, { staleAfterMs: HOUR }).catch((e) => e)) instanceof LockBusyError);
});

test('an unreadable lock file counts as held for a minute, then as debris', async () => {
  const dir = freshDir();
  await acquireRunLock(dir, { staleAfterMs: 1 }).then((l) => l.release());
  const path = join(dir, LOCK_NAME);
  await writeFile(path, 'garbage');
  assert.ok((await acquireRunLock(dir, { staleAfterMs: HOUR }).catch((e) => e)) instanceof LockBusyError);
  const old = new Date(Date.now() - 5 * 60_000);
  await utimes(path, old, old);
  const l = await acquireRunLock(dir, { staleAfterMs: HOUR });
  await l.release();
});

test('release never removes a lock that another run took over', async () => {
  const dir = freshDir();
  const mine = await acquireRunLock(dir, { staleAfterMs: 1 });
  await new Promise((r) => setTimeout(r, 5)); // let it pass its 1 ms stale time
  const theirs = await acquireRunLock(dir, { staleAfterMs: HOUR });
  assert.equal(theirs.tookOver?.token, mine.info.token);
  await mine.release();
  assert.equal(JSON.parse(await readFile(theirs.path, 'utf8')).token, theirs.info.token, 'still theirs');
  await theirs.release();
});

test('many runs in one process racing for a stale lock: exactly one wins', async () => {
  const dir = freshDir();
  await acquireRunLock(dir, { staleAfterMs: 1 }).then((l) => l.release());
  await plant(dir, { pid: await deadPid() });
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => acquireRunLock(dir, { staleAfterMs: HOUR })));
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.equal(won.length, 1, `winners: ${won.length}`);
  for (const r of results.filter((x) => x.status === 'rejected')) assert.ok(r.reason instanceof LockBusyError, String(r.reason));
  await won[0].value.release();
});

test('separate processes racing (fresh and stale lock): exactly one wins each time', async () => {
  const lockModule = new URL('../cron/run-lock.mjs', import.meta.url).href;
  const script = `
    const { acquireRunLock } = await import(${JSON.stringify(lockModule)});
    let lock = null;
    try { lock = await acquireRunLock(process.argv[1], { staleAfterMs: 3600000 }); console.log('won'); }
    catch (e) { console.log(e.code); }
    process.stdin.resume();
    process.stdin.on('end', async () => { await lock?.release(); process.exit(0); });`;
  for (const stale of [false, true]) {
    const dir = freshDir();
    await acquireRunLock(dir, { staleAfterMs: 1 }).then((l) => l.release());
    if (stale) await plant(dir, { pid: await deadPid() });
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['pipe', 'pipe', 'inherit'] }));
    try {
      const outputs = await Promise.all(children.map(async (c) => {
        let out = '';
        c.stdout.setEncoding('utf8');
        for await (const chunk of c.stdout) {
          out += chunk;
          if (out.includes('\n')) break;
        }
        return out.trim();
      }));
      assert.equal(outputs.filter((o) => o === 'won').length, 1, `stale=${stale}: ${outputs}`);
      assert.equal(outputs.filter((o) => o === 'ALREADY_RUNNING').length, 5, `stale=${stale}: ${outputs}`);
    } finally {
      for (const c of children) c.stdin.end();
      await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : null)));
    }
  }
});

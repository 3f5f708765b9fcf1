// The notice ledger in the store, on both engines: a notice is recorded
// once per key, claimed by one run before it is sent (two job hosts on one
// database never both get it), its outcome recorded; the problems listed for
// operators; an earlier release's notices.json moved in once.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../store/index.mjs';
import { openStoreLedger } from '../store/notice-store.mjs';
import { openJsonLedger, LEDGER_NAME } from '../cron/notice-ledger.mjs';
import { useStoreEngines } from './helpers/store-engines.mjs';

const { engines: ENGINES, dir: freshDir } = useStoreEngines('pve-notices-');

/** @typedef {import('../cron/notice-ledger.mjs').NoticeRecord} NoticeRecord */
/** @param {number} n @returns {NoticeRecord} */
const fresh = (n) => ({
  key: `snapshot.expiring svc-1 101 snap${n} 1700000000000`, id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'snapshot.expiring', service: 'svc-1', vmid: 101, snapshot: `snap${n}`,
  body: JSON.stringify({ id: n, customer: { id: 'alice' } }), state: 'pending', attempts: 0, nextRun: 1,
  createdAt: new Date(1_800_000_000_000 + n).toISOString(), lastAttemptAt: null, lastError: null,
});
const FAILED = { code: 'NOTIFY_STATUS', message: 'the receiver answered HTTP 500' };

for (const engine of ENGINES) {
  describe(`notice ledger on ${engine.name}`, () => {
    test('recorded once, claimed by one run, outcomes kept; problems listed for operators', async (t) => {
      const where = await engine.where();
      const storeA = await openStore(where);
      const storeB = await openStore(where);
      t.after(async () => { await storeA.close(); await storeB.close(); });
      const a = await openStoreLedger(storeA, { owner: 'run-a' });
      const b = await openStoreLedger(storeB, { owner: 'run-b' });

      assert.equal(await a.beginRun(), 1);
      assert.equal(await b.beginRun(), 2, 'one counter for every host');
      await a.add([fresh(1), fresh(2), fresh(3), fresh(4)]);
      // The same key again (another host saw the same snapshot) keeps the first record and its id.
      await b.add([{ ...fresh(1), id: 'another-id' }]);
      assert.deepEqual([...await b.known([fresh(1).key, fresh(9).key])], [fresh(1).key]);

      // Both ask at once: each pending notice goes to exactly one of them.
      const [gotA, gotB] = await Promise.all([a.due(2), b.due(2)]);
      const keys = [...gotA, ...gotB].map((r) => r.key).sort();
      assert.deepEqual(keys, [1, 2, 3, 4].map((n) => fresh(n).key).sort());
      assert.equal(new Set(keys).size, 4);
      const mine = gotA.length ? { ledger: a, got: gotA, other: b } : { ledger: b, got: gotB, other: a };
      assert.equal([...gotA, ...gotB].find((r) => r.key === fresh(1).key)?.id, fresh(1).id);

      const [first, ...rest] = mine.got;
      await mine.ledger.put([{ ...first, state: 'sent', attempts: 1, lastAttemptAt: new Date(1_800_000_100_000).toISOString() }]);
      // Another run's claimed records are not the other's to record.
      await mine.other.put(rest.map((r) => ({ ...r, state: 'sent', attempts: 1 })));
      if (rest.length) assert.equal((await mine.other.due(99)).length, 0, 'still claimed');
      await mine.ledger.close();
      await mine.other.close();

      // Released at close: the next run gets what was not attempted, never what was sent.
      const c = await openStoreLedger(storeA, { owner: 'run-c' });
      assert.equal(await c.beginRun(), 3);
      const next = await c.due(3);
      const unsent = [...gotA, ...gotB].filter((r) => r.key !== first.key).map((r) => r.key).sort();
      assert.deepEqual(next.map((r) => r.key).sort(), unsent);
      const [x, y, z] = next.sort((p, q) => p.key.localeCompare(q.key));
      await c.put([
        { ...x, attempts: 1, nextRun: 4, lastAttemptAt: new Date(1_800_000_200_000).toISOString(), lastError: FAILED },
        { ...y, state: 'given-up', attempts: 6, lastAttemptAt: new Date(1_800_000_300_000).toISOString(), lastError: { code: 'NOTIFY_TIMEOUT', message: 'no answer within 10000 ms' } },
        { ...z, state: 'sent', attempts: 1, lastAttemptAt: new Date(1_800_000_250_000).toISOString() },
      ]);
      assert.deepEqual(await c.totals(), { pending: 1, givenUp: 1 });
      assert.deepEqual(await c.due(3), [], 'the failed one waits for run 4');
      await c.close();

      const problems = await storeB.noticeProblems();
      assert.deepEqual(problems.map((p) => [p.snapshot, p.state, p.attempts, p.nextRun, p.runsUntilRetry, p.lastError?.code, p.customer]), [
        [y.snapshot, 'given-up', 6, null, null, 'NOTIFY_TIMEOUT', 'alice'],
        [x.snapshot, 'pending', 1, 4, 1, 'NOTIFY_STATUS', 'alice'],
      ]);
      assert.equal(problems[0].lastAttemptAt, 1_800_000_300_000);
    });

    test('an earlier release\'s notices.json is moved in once; a damaged one stops the notices', async (t) => {
      const store = await openStore(await engine.where());
      t.after(() => store.close());
      const dir = freshDir();
      const file = await openJsonLedger(dir);
      for (let i = 0; i < 7; i++) await file.beginRun();
      await file.add([fresh(1), fresh(2)]);
      await file.put([{ ...fresh(2), state: 'given-up', attempts: 6, lastAttemptAt: new Date(1_800_000_000_500).toISOString(), lastError: FAILED }]);

      const ledger = await openStoreLedger(store, { owner: 'run-1', importFrom: dir });
      assert.equal(existsSync(join(dir, LEDGER_NAME)), false);
      assert.equal(existsSync(join(dir, `${LEDGER_NAME}.imported`)), true);
      assert.equal(await ledger.beginRun(), 8, 'the run counter goes on from the file\'s');
      assert.deepEqual((await ledger.due(8)).map((r) => [r.key, r.id]), [[fresh(1).key, fresh(1).id]], 'same key, same id');
      await ledger.close();
      assert.deepEqual((await store.noticeProblems()).map((p) => [p.snapshot, p.state]), [['snap2', 'given-up']]);
      // Opening again finds nothing to move.
      await (await openStoreLedger(store, { owner: 'run-2', importFrom: dir })).close();
      assert.equal((await store.engine.all('SELECT key FROM notices')).length, 2);

      const broken = freshDir();
      await mkdir(broken);
      await writeFile(join(broken, LEDGER_NAME), '{"run": 3, "notices": [');
      await assert.rejects(openStoreLedger(store, { owner: 'run-3', importFrom: broken }), (/** @type {any} */ err) => err.code === 'NOTIFY_LEDGER');
      assert.equal(existsSync(join(broken, LEDGER_NAME)), true, 'left where it was');
    });
  });
}

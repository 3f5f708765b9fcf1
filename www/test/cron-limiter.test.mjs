// The job's scheduler: never more than `concurrency` VMs at once, never more
// than `perNode` on one node, every item run once, and a failing item does not
// stop the rest. Workers finish in an order we control (no timing involved).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from '../cron/limiter.mjs';

/**
 * Items across nodes; each worker waits until the test releases it.
 * @param {string[]} nodes @param {number} count
 */
function harness(nodes, count) {
  const items = Array.from({ length: count }, (_, i) => ({ id: i, node: nodes[i % nodes.length] }));
  const running = new Map();
  /** @type {{maxTotal: number, maxPerNode: Record<string, number>, started: number[]}} */
  const log = { maxTotal: 0, maxPerNode: {}, started: [] };
  const gates = new Map();
  /** @param {{id: number, node: string}} item */
  const worker = (item) => new Promise((resolve, reject) => {
    log.started.push(item.id);
    running.set(item.id, item.node);
    log.maxTotal = Math.max(log.maxTotal, running.size);
    const onNode = [...running.values()].filter((n) => n === item.node).length;
    log.maxPerNode[item.node] = Math.max(log.maxPerNode[item.node] ?? 0, onNode);
    gates.set(item.id, (/** @type {boolean} */ fail) => { running.delete(item.id); if (fail) reject(new Error(`item ${item.id} failed`)); else resolve(item.id * 10); });
  });
  /** Releases the running items one by one (oldest first) until all are done. */
  const drain = async (failIds = new Set()) => {
    for (let spins = 0; gates.size > 0 || log.started.length < count; spins += 1) {
      if (spins > 10_000) throw new Error(`stalled: ${log.started.length} of ${count} started`);
      await new Promise((r) => setImmediate(r));
      const [id, release] = gates.entries().next().value ?? [];
      if (release) { gates.delete(id); release(failIds.has(id)); }
    }
  };
  return { items, worker, log, drain };
}

for (const [nodes, count, concurrency, perNode] of /** @type {[string[], number, number, number][]} */ ([[['a', 'b', 'c'], 30, 4, 1], [['a', 'b'], 20, 8, 3], [['a'], 7, 5, 2], [['a', 'b', 'c', 'd'], 25, 3, 5]])) {
  test(`${count} items on ${nodes.length} node(s), concurrency ${concurrency}, perNode ${perNode}`, async () => {
    const h = harness(nodes, count);
    const done = runBounded(h.items, { concurrency, perNode, nodeOf: (i) => i.node, worker: h.worker });
    await h.drain(new Set([3, 5]));
    const results = await done;
    assert.equal(h.log.started.length, count);
    assert.deepEqual([...h.log.started].sort((a, b) => a - b), h.items.map((i) => i.id), 'each item exactly once');
    assert.ok(h.log.maxTotal <= concurrency, `max ${h.log.maxTotal} at once`);
    for (const [node, max] of Object.entries(h.log.maxPerNode)) assert.ok(max <= perNode, `node ${node}: ${max} at once`);
    // It does use the room it has (otherwise a large cluster would crawl).
    assert.equal(h.log.maxTotal, Math.min(concurrency, nodes.length * perNode, count));
    assert.equal(results[3].status, 'rejected');
    assert.equal(results[5].status, 'rejected');
    assert.deepEqual(results[0], { status: 'fulfilled', value: 0 });
    assert.deepEqual(results[count - 1], { status: 'fulfilled', value: (count - 1) * 10 });
  });
}

test('no items: resolves at once; bad bounds are refused', async () => {
  assert.deepEqual(await runBounded([], { concurrency: 1, perNode: 1, nodeOf: () => 'a', worker: async () => 1 }), []);
  assert.throws(() => runBounded([1], { concurrency: 0, perNode: 1, nodeOf: () => 'a', worker: async () => 1 }), RangeError);
});

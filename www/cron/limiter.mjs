// Runs one task per VM with two bounds: at most `concurrency` at once overall
// and at most `perNode` at once on any one Proxmox node, so a large cluster
// finishes quickly without piling snapshot deletes onto a single node.

/**
 * Runs `worker` for every item, respecting both bounds; items start in order
 * whenever a slot (overall and on their node) is free. A worker's rejection is
 * its own result, never a reason to stop the others.
 * @template T, R
 * @param {T[]} items
 * @param {{concurrency: number, perNode: number, nodeOf: (item: T) => string,
 *   worker: (item: T) => Promise<R>}} options
 * @returns {Promise<PromiseSettledResult<R>[]>} in the order of `items`
 */
export function runBounded(items, { concurrency, perNode, nodeOf, worker }) {
  if (!(concurrency >= 1) || !(perNode >= 1)) throw new RangeError('concurrency and perNode must be at least 1');
  /** @type {PromiseSettledResult<R>[]} */
  const results = new Array(items.length);
  const waiting = items.map((item, index) => ({ item, index, node: nodeOf(item) }));
  /** @type {Map<string, number>} */
  const busy = new Map();
  let running = 0;
  let done = 0;
  return new Promise((resolve) => {
    const pump = () => {
      if (done === items.length) return resolve(results);
      for (let i = 0; i < waiting.length && running < concurrency; ) {
        const next = waiting[i];
        if ((busy.get(next.node) ?? 0) >= perNode) { i += 1; continue; }
        waiting.splice(i, 1);
        running += 1;
        busy.set(next.node, (busy.get(next.node) ?? 0) + 1);
        Promise.resolve().then(() => worker(next.item)).then(
          (value) => { results[next.index] = { status: 'fulfilled', value }; },
          (reason) => { results[next.index] = { status: 'rejected', reason }; },
        ).finally(() => {
          running -= 1;
          busy.set(next.node, (busy.get(next.node) ?? 0) - 1);
          done += 1;
          pump();
        });
      }
    };
    pump();
  });
}

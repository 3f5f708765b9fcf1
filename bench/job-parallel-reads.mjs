#!/usr/bin/env node
// A what-if for the expiry job, run by job.mjs (`--variant parallel-reads`):
// the real engine (`runExpiry`) with the real client, except that when the
// engine asks for a guest's status the snapshot list request is sent at the
// same moment, and the engine's next request (that list) gets the answer
// already on its way. Only the overlap of the two reads changes, so the
// figure shows what sending them together in engine.mjs would gain.
// Usage: node bench/job-parallel-reads.mjs CONFIG STATE_DIR CONCURRENCY PER_NODE
// (token secret in env PVE_TOKEN_SECRET); prints the run summary as JSON.

import { loadConfig } from '../www/config.mjs';
import { createPveClient } from '../www/pve/client.mjs';
import { runExpiry } from '../www/cron/engine.mjs';

const [configPath, stateDir, concurrency, perNode] = process.argv.slice(2);
const config = await loadConfig(configPath);
const client = createPveClient({ ...config.pve, retries: 2 });
/** List requests sent early, by path; each is taken once. */
const early = new Map();
const pve = {
  ...client,
  /**
   * @param {import('../www/pve/client.mjs').RequestDescription} desc
   * @param {import('../www/pve/client.mjs').RequestOptions} [options]
   */
  request(desc, options) {
    if (desc.method === 'GET' && desc.path.endsWith('/status/current')) {
      const list = desc.path.replace(/\/status\/current$/, '/snapshot');
      early.set(list, client.request({ method: 'GET', path: list, params: {} }, options));
    } else if (desc.method === 'GET' && early.has(desc.path)) {
      const answer = early.get(desc.path);
      early.delete(desc.path);
      return answer;
    }
    return client.request(desc, options);
  },
  waitForTask: (/** @type {Parameters<typeof client.waitForTask>} */ ...args) => client.waitForTask(...args),
};
try {
  const summary = await runExpiry({ config, pve, stateDir, concurrency: Number(concurrency), perNode: Number(perNode) });
  process.stdout.write(JSON.stringify(summary));
} finally {
  client.close?.();
}

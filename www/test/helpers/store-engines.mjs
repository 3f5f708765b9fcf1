// Test support: the store's two engines side by side, for suites that run
// the same tests on both. Registers the suite's before/after hooks: a
// throwaway PostgreSQL cluster, and a temporary directory for SQLite files.
import { before, after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPgCluster } from './pg-cluster.mjs';

/**
 * @param {string} prefix  of the temporary directory
 * @returns {{engines: Array<{name: 'sqlite' | 'postgres', where(): Promise<import('../../store/index.mjs').StoreOptions>}>,
 *   dir(): string}}  `where()`: a fresh, empty store each time; `dir()`: a fresh directory path below the temporary one
 */
export function useStoreEngines(prefix) {
  /** @type {import('./pg-cluster.mjs').PgCluster | undefined} */
  let cluster;
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  before(async () => { cluster = await startPgCluster(); });
  after(async () => {
    await cluster?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const dir = () => join(tmp, `d${++n}`);
  return {
    dir,
    engines: [
      { name: 'sqlite', where: async () => ({ dataDir: dir() }) },
      { name: 'postgres', where: async () => ({ databaseUrl: await /** @type {import('./pg-cluster.mjs').PgCluster} */ (cluster).createDatabase() }) },
    ],
  };
}

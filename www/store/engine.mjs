// The shape both engines share. Nothing outside www/store/ sees an engine:
// the server and the job call the store's functions (store.mjs).

/**
 * @typedef {object} Query
 * @property {(sql: string, params?: unknown[]) => Promise<any[]>} all
 * @property {(sql: string, params?: unknown[]) => Promise<any>} get  the first row or null
 * @property {(sql: string, params?: unknown[]) => Promise<{changes: number, rows: any[]}>} run
 *   `rows` holds what a RETURNING clause gave back
 */

/**
 * @typedef {object} MigrateResult
 * @property {number} from
 * @property {number} to
 * @property {number[]} applied
 * @property {boolean} tooNew  the database is at a version this code does not know
 */

/**
 * @typedef {Query & {
 *   kind: 'sqlite'|'postgres',
 *   label: string,
 *   returning: boolean,
 *   tx<T>(fn: (q: Query) => Promise<T>): Promise<T>,
 *   lockKey(q: Query, key: string): Promise<void>,
 *   migrate(target?: number): Promise<MigrateResult>,
 *   version(): Promise<number>,
 *   ping(): Promise<void>,
 *   tryLock?(n: number): Promise<{release(): Promise<void>} | null>,
 *   close(): Promise<void>,
 * }} Engine
 */

export {};

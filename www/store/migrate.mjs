#!/usr/bin/env node
// Applies the store's migrations and says where the schema stands:
// `node www/store/migrate.mjs [--data-dir DIR]` (env DATABASE_URL: PostgreSQL).
// The server and the job migrate on start as well; this is for an operator
// who wants it done (and seen) before an upgrade's restart.
import { parseArgs } from 'node:util';
import { openStore, storeOptionsFrom, describeStore, SCHEMA_VERSION } from './index.mjs';

const USAGE = 'usage: node www/store/migrate.mjs [--data-dir DIR]   (env DATABASE_URL selects PostgreSQL)\n';

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const options = storeOptionsFrom({ dataDir: values['data-dir'] });
  /** @type {{from: number, to: number} | null} */
  let migrated = null;
  const store = await openStore({ ...options, log: (event, f) => { if (event === 'store-migrated') migrated = /** @type {any} */ (f); } });
  await store.close();
  const what = describeStore(options);
  if (migrated) process.stdout.write(`${what}: migrated from schema version ${/** @type {any} */ (migrated).from} to ${SCHEMA_VERSION}\n`);
  else process.stdout.write(`${what}: schema version ${SCHEMA_VERSION}, up to date\n`);
}

main().catch((err) => {
  process.stderr.write(`pve-snapshots migrate: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}\n`);
  if (err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') process.stderr.write(USAGE);
  process.exit(1);
});

#!/usr/bin/env node
// The expiry job's command line: parse flags, load the shared config, run the
// engine, print, exit with the documented code. Everything else is engine.mjs.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.mjs';
import { createReporter } from './report.mjs';

const EXIT_CONFIG = 2;
const EXIT_UNREACHABLE = 4;

const HELP = `Usage: pve-snapshots-expire --config FILE [options]

Deletes the snapshots whose lifetime is over, for every service in the config
(or one service / one node). Meant to run from cron, e.g. hourly.

Options:
  --config FILE      the shared JSON config (default: env PVE_SNAPSHOTS_CONFIG)
  --dry-run          print what would be deleted; delete nothing, take no lock,
                     write no last-run.json
  --service ID       only this service
  --node NAME        only VMs that are on this node now
  --concurrency N    VMs handled at once overall (default: job.concurrency, 8)
  --per-node N       VMs handled at once per node (default: job.perNode, 2)
  --state-dir DIR    lock file and last-run.json (default: job.stateDir)
  --data-dir DIR     the store: SQLite file DIR/pve-snapshots.db (default: the
                     state directory); env DATABASE_URL selects PostgreSQL.
                     Runs, their events and the audit log go there.
  --json             print a JSON summary on stdout (progress goes to stderr)
  --metrics-file PATH  after the run, write its figures for node_exporter's
                     textfile collector to PATH (a *.prom file; not for --dry-run)
  --now MS|ISO       judge expiry at this time instead of the Proxmox clock
                     (testing and administration aid)
  --help             this text

The token secret comes from env PVE_TOKEN_SECRET or pve.tokenSecretFile;
env PVE_URL and PVE_TOKEN_ID override pve.url and pve.tokenId. With a notify
section, the notice secret comes from env NOTIFY_SECRET or notify.secretFile.

Exit codes: 0 all good; 1 some VM or delete failed, or a delete is still
running; 2 config or command-line error (nothing was sent to Proxmox);
3 another run is active; 4 Proxmox could not be reached, or the store
(nothing was done).
See www/cron/README.md.`;

/** @param {string} message */
function usageError(message) {
  process.stderr.write(`pve-snapshots-expire: ${message}\n(see --help)\n`);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ exitCode: EXIT_CONFIG, ok: false, error: { code: 'USAGE', message } }, null, 2)}\n`);
  }
  process.exitCode = EXIT_CONFIG;
}

/**
 * @param {string|undefined} text @param {string} flag
 * @returns {number|undefined|Error}
 */
function positiveInt(text, flag) {
  if (text === undefined) return undefined;
  return /^[1-9][0-9]{0,2}$/.test(text) ? Number(text) : new Error(`${flag}: expected a whole number from 1 to 999, got ${JSON.stringify(text)}`);
}

/** @param {string|undefined} text @returns {number|null|Error} */
function parseNow(text) {
  if (text === undefined) return null;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : new Error(`--now: expected epoch milliseconds or an ISO date, got ${JSON.stringify(text)}`);
}

async function main() {
  let args;
  try {
    args = parseArgs({
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' }, 'dry-run': { type: 'boolean' }, service: { type: 'string' }, node: { type: 'string' },
        concurrency: { type: 'string' }, 'per-node': { type: 'string' }, 'state-dir': { type: 'string' }, 'data-dir': { type: 'string' }, 'metrics-file': { type: 'string' },
        json: { type: 'boolean' }, now: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return usageError(/** @type {Error} */ (err).message);
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const concurrency = positiveInt(args.concurrency, '--concurrency');
  const perNode = positiveInt(args['per-node'], '--per-node');
  const now = parseNow(args.now);
  if (concurrency instanceof Error) return usageError(concurrency.message);
  if (perNode instanceof Error) return usageError(perNode.message);
  if (now instanceof Error) return usageError(now.message);
  const configPath = args.config ?? process.env.PVE_SNAPSHOTS_CONFIG;
  if (!configPath) return usageError('--config FILE is required');

  /**
   * Stops before any request; with --json the caller still gets a summary to parse.
   * @param {string} code @param {string} message @param {object} [details]
   */
  const stopEarly = (code, message, details) => {
    process.stderr.write(`pve-snapshots-expire: ${message}\n`);
    if (args.json) process.stdout.write(`${JSON.stringify({ exitCode: EXIT_CONFIG, ok: false, error: { code, message, details } }, null, 2)}\n`);
    process.exitCode = EXIT_CONFIG;
  };
  let config;
  try {
    config = await loadConfig(configPath, { notifySecret: true });
  } catch (err) {
    // A ConfigError, or whatever else reading the file threw.
    const e = /** @type {{code?: string, message: string, details?: object}} */ (err);
    return stopEarly(e.code ?? 'CONFIG_INVALID', `config error: ${e.message}`, e.details);
  }
  let runExpiry;
  try {
    ({ runExpiry } = await import('./engine.mjs'));
  } catch (err) {
    return stopEarly('CORE_UNAVAILABLE', `cannot load the job (is pkg/ built? run scripts/build.sh): ${/** @type {Error} */ (err).message}`);
  }

  const reporter = createReporter({ json: Boolean(args.json), dryRun: Boolean(args['dry-run']) });
  const controller = new AbortController();
  let signals = 0;
  /** @param {NodeJS.Signals} sig */
  const onSignal = (sig) => {
    signals += 1;
    if (signals > 1) process.exit(130); // the lock is then stale (pid gone) for the next run
    reporter.line(`received ${sig}: finishing the current step, starting no new deletes (send again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // A dry run writes nothing anywhere, so it needs no store either.
  let store = null;
  if (!args['dry-run']) {
    const { openStore, storeOptionsFrom } = await import('../store/index.mjs');
    try {
      store = await openStore(storeOptionsFrom({ dataDir: args['data-dir'] ?? args['state-dir'] ?? config.job.stateDir }));
    } catch (err) {
      const e = /** @type {{code?: string, message: string}} */ (err);
      process.stderr.write(`pve-snapshots-expire: ${e.code ?? 'STORE_UNAVAILABLE'}: ${e.message}; nothing was done\n`);
      if (args.json) process.stdout.write(`${JSON.stringify({ exitCode: EXIT_UNREACHABLE, ok: false, error: { code: e.code ?? 'STORE_UNAVAILABLE', message: e.message } }, null, 2)}\n`);
      process.exitCode = EXIT_UNREACHABLE;
      return;
    }
  }
  const summary = await runExpiry({
    config, dryRun: Boolean(args['dry-run']), service: args.service ?? null, node: args.node ?? null, store,
    concurrency, perNode, stateDir: args['state-dir'], metricsFile: args['metrics-file'] ?? null, now, signal: controller.signal, onEvent: reporter.event,
  });
  await store?.close();
  reporter.finish(summary);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = summary.exitCode;
}

await main();

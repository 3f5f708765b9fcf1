#!/usr/bin/env node
// Prints the audit log and the expiry job's runs, until an operator's view
// exists: `node www/store/audit.mjs [--data-dir DIR] [--service ID]
// [--customer ID] [--since ISO] [--json]` (env DATABASE_URL: PostgreSQL).
// A table for people by default; --json for scripts.
import { parseArgs } from 'node:util';
import { openStore, storeOptionsFrom } from './index.mjs';

const USAGE = `usage: node www/store/audit.mjs [--data-dir DIR] [--service ID] [--customer ID] [--since ISO] [--json]
  prints the audit log (oldest first) and the expiry job's runs with their events
  --service ID     only this service
  --customer ID    only entries about this customer's services (and their own actions)
  --since ISO      only from this time on (e.g. 2026-12-01 or 2026-12-01T08:00:00Z)
  --json           one JSON object {audit, jobRuns} instead of the tables
  env DATABASE_URL selects PostgreSQL; else the SQLite file in --data-dir (default /var/lib/pve-snapshots)
`;

/** @param {number} ms */
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * Left-aligned columns, each as wide as its widest cell.
 * @param {string[]} head @param {string[][]} rows
 */
export function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** One line of text, at most `n` characters. @param {unknown} v @param {number} [n] */
const cell = (v, n = 60) => {
  const s = v === null || v === undefined ? '-' : String(v).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      'data-dir': { type: 'string' }, service: { type: 'string' }, customer: { type: 'string' }, since: { type: 'string' },
      json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  let since;
  if (values.since !== undefined) {
    since = Date.parse(values.since);
    if (!Number.isFinite(since)) throw Object.assign(new Error(`--since: not a date: ${JSON.stringify(values.since)}`), { code: 'INVALID_INPUT' });
  }
  const store = await openStore({ ...storeOptionsFrom({ dataDir: values['data-dir'] }), migrate: false });
  try {
    const audit = await store.auditLog({ serviceId: values.service, customer: values.customer, since, limit: 1_000_000 });
    const jobRuns = await store.jobRuns({ since, serviceId: values.service, customer: values.customer });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ audit, jobRuns }, null, 2)}\n`);
      return;
    }
    const out = [`Audit log (${audit.length} ${audit.length === 1 ? 'entry' : 'entries'})`];
    if (audit.length) {
      out.push(table(['TIME', 'ACTOR', 'CUSTOMER', 'SERVICE', 'VMID', 'ACTION', 'SNAPSHOT', 'OUTCOME', 'CODE', 'MESSAGE'],
        audit.map((e) => [iso(e.at), cell(`${e.actorKind}:${e.actorId}`, 40), cell(e.customer), cell(e.serviceId), cell(e.vmid),
          cell(e.action), cell(e.snapshot), cell(e.outcome), cell(e.code), cell(e.message)])));
    }
    out.push('', `Expiry job runs (${jobRuns.length})`);
    for (const r of jobRuns) {
      const counts = /** @type {any} */ (r.summary)?.counts;
      const tally = counts ? ` deleted ${counts.deleted}, skipped ${counts.skipped}, failed ${counts.failed}` : '';
      out.push(`${r.id}  ${iso(r.startedAt)} → ${r.endedAt === null ? 'unfinished' : iso(r.endedAt)}  exit ${r.exitCode ?? '-'}  ${r.host} pid ${r.pid}${tally}`);
      if (r.events.length) {
        out.push(table(['  TIME', 'EVENT', 'SERVICE', 'VMID', 'SNAPSHOT', 'CODE', 'MESSAGE'],
          r.events.map((e) => [`  ${iso(e.at)}`, cell(e.type), cell(e.service), cell(e.vmid), cell(e.name), cell(e.code), cell(e.message, 80)])));
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await store.close();
  }
}

main().catch((err) => {
  process.stderr.write(`pve-snapshots audit: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}\n`);
  if (String(err?.code).startsWith('ERR_PARSE_ARGS') || err?.code === 'INVALID_INPUT') {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  process.exit(1);
});

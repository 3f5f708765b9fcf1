// What the job prints: a readable line per action (for cron mail and logs),
// a one-line progress indicator when a person watches on a terminal, and with
// --json a single JSON summary on stdout (lines then go to stderr).

/** @type {Record<import('./engine.mjs').EntryType | 'warning', string>} */
const LABEL = {
  deleted: 'deleted', 'would-delete': 'would delete', skipped: 'skipped', stuck: 'STUCK', failed: 'FAILED',
  'still-running': 'STILL RUNNING', missing: 'missing', warning: 'warning',
};

/**
 * @param {{json: boolean, dryRun: boolean, out?: {write: (s: string) => unknown},
 *   err?: {write: (s: string) => unknown, isTTY?: boolean}}} options
 * @returns {{event: import('./engine.mjs').Emit, line: (text: string) => void, finish: (summary: import('./engine.mjs').RunSummary) => void}}
 */
export function createReporter({ json, dryRun, out = process.stdout, err = process.stderr }) {
  const lines = json ? err : out;
  const tty = Boolean(err.isTTY) && !json;
  let progress = '';
  let counts = { done: 0, total: 0, deleted: 0, failed: 0 };

  const clearProgress = () => { if (tty && progress) { err.write('\r\x1b[2K'); progress = ''; } };
  const drawProgress = () => {
    if (!tty || counts.total === 0) return;
    progress = `[${counts.done}/${counts.total} VMs] ${counts.deleted} ${dryRun ? 'to delete' : 'deleted'}, ${counts.failed} failed`;
    err.write(`\r\x1b[2K${progress}`);
  };
  /** @param {string} text */
  const line = (text) => {
    clearProgress();
    lines.write(`${new Date().toISOString()} ${text}\n`);
    drawProgress();
  };

  return {
    line,
    event(e) {
      switch (e.type) {
        case 'start':
          counts = { done: 0, total: e.vms, deleted: 0, failed: 0 };
          line(`${dryRun ? 'dry run: ' : ''}checking ${e.vms} VM(s) of ${e.services} service(s)`);
          return;
        case 'vm-done':
          counts.done = e.done;
          drawProgress();
          return;
        case 'warning':
          line(`warning: ${e.message}`);
          return;
        default: {
          if (e.type === 'deleted' || e.type === 'would-delete') counts.deleted += 1;
          if (e.type === 'failed' || e.type === 'still-running') counts.failed += 1;
          const where = `${e.service} vm ${e.vmid}${e.node ? ` on ${e.node}` : ''}`;
          const what = e.name ? ` ${e.name}` : '';
          const why = e.type === 'deleted' || e.type === 'would-delete' ? '' : `: ${e.message} [${e.code}]`;
          line(`${LABEL[e.type] ?? e.type} ${where}${what}${why}`);
        }
      }
    },
    finish(summary) {
      clearProgress();
      const c = summary.counts;
      // Errors go to stderr in every mode, so a wrapper script can tell them apart.
      if (summary.error) err.write(`${new Date().toISOString()} ${summary.exitCode === 3 ? '' : 'error: '}${summary.error.message}\n`);
      lines.write(`${new Date().toISOString()} ${summary.dryRun ? 'dry run ' : ''}done in ${(summary.durationMs / 1000).toFixed(1)} s: `
        + `${summary.dryRun ? `${c.wouldDelete} would be deleted` : `${c.deleted} deleted`}, ${c.skipped} skipped, ${c.stuck} stuck, ${c.failed} failed, `
        + `${c.stillRunning} still running, ${c.missing} VM(s) missing; exit ${summary.exitCode}\n`);
      const n = summary.notices;
      if (n) {
        lines.write(`${new Date().toISOString()} notices: ${n.sent} sent, ${n.failed} failed (retried later), ${n.givenUp} given up, `
          + `${n.deferred} deferred, ${n.pending} pending${n.error ? `; ${n.error.message} [${n.error.code}]` : ''}\n`);
      }
      if (json) out.write(`${JSON.stringify(summary, null, 2)}\n`);
    },
  };
}

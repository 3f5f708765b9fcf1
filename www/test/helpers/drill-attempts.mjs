// Runs hostile requests against the panel server (www/test/isolation-*.test.mjs)
// and judges each one by what it did at Proxmox, not only by what it
// answered: every attempt must be refused, must cause zero Proxmox writes,
// and may read nothing but the attacker's own VMs.
import assert from 'node:assert/strict';

/**
 * @typedef {import('../server-harness.mjs').Browser} Browser
 * @typedef {import('../server-harness.mjs').Reply} Reply
 * @typedef {object} Attempt
 * @property {string} label
 * @property {string} method
 * @property {string} path    raw, sent as written
 * @property {unknown} [json]
 * @property {string} [body]
 * @property {Record<string, string>} [headers]
 * @property {boolean} [csrf]  send the actor's CSRF token (default true)
 * @property {number[]} [status]  accepted refusal statuses (default [404])
 * @property {string[]} [codes]   accepted error codes (default: any; checked when the answer has a JSON error)
 */

/**
 * @typedef {object} AttemptLog
 * @property {number} attempts
 * @property {number} refused
 * @property {number} proxmoxWrites
 * @property {number} foreignReads
 * @property {Record<string, number>} byStatus
 * @property {string[]} failures
 */

/** @returns {AttemptLog} */
export function attemptLog() {
  return { attempts: 0, refused: 0, proxmoxWrites: 0, foreignReads: 0, byStatus: {}, failures: [] };
}

/**
 * Sends `a` as `actor` and records the verdict. `ownVmids` are the vmids
 * the actor may legitimately make the server read.
 * @param {{sim: {requests: any[]}}} stack
 * @param {Browser} actor
 * @param {number[]} ownVmids
 * @param {Attempt} a
 * @param {AttemptLog} log
 * @returns {Promise<Reply>}
 */
export async function tryAttempt(stack, actor, ownVmids, a, log) {
  const seen = stack.sim.requests.length;
  const r = await actor.send(a.method, a.path, { json: a.json, body: a.body, headers: a.headers, csrf: a.csrf ?? true });
  const during = stack.sim.requests.slice(seen);
  log.attempts += 1;
  log.byStatus[r.status] = (log.byStatus[r.status] ?? 0) + 1;
  const expected = a.status ?? [404];
  const what = `${a.label}: ${a.method} ${a.path}`;
  const writes = during.filter((q) => q.method !== 'GET');
  const foreign = during.filter((q) => {
    const m = /\/(?:qemu|lxc)\/(\d+)(?:\/|$)/.exec(q.path);
    return m && !ownVmids.includes(Number(m[1]));
  });
  log.proxmoxWrites += writes.length;
  log.foreignReads += foreign.length;
  const problems = [];
  if (!expected.includes(r.status)) problems.push(`status ${r.status}, expected ${expected.join('|')}: ${r.text.slice(0, 200)}`);
  if (a.codes && r.json?.error && !a.codes.includes(r.json.error.code)) problems.push(`code ${r.json.error.code}, expected ${a.codes.join('|')}`);
  if (writes.length) problems.push(`Proxmox writes: ${writes.map((q) => `${q.method} ${q.path}`).join(', ')}`);
  if (foreign.length) problems.push(`touched another customer's VM: ${foreign.map((q) => `${q.method} ${q.path}`).join(', ')}`);
  if (r.status < 400) problems.push('not refused');
  if (problems.length) log.failures.push(`${what} → ${problems.join('; ')}`);
  else log.refused += 1;
  return r;
}

/**
 * Fails with every failed attempt listed at once.
 * @param {AttemptLog} log @param {string} label
 */
export function assertAllRefused(log, label) {
  assert.deepEqual(log.failures, [], `${label}: ${log.failures.length} of ${log.attempts} attempts got through`);
  assert.equal(log.refused, log.attempts);
  assert.equal(log.proxmoxWrites, 0);
  assert.equal(log.foreignReads, 0);
}

/** @param {AttemptLog} log @param {string} label */
export function attemptSummary(log, label) {
  const statuses = Object.entries(log.byStatus).map(([s, n]) => `${s}×${n}`).join(' ');
  return `isolation ${label}: ${log.attempts} attempts, ${log.refused} refused, Proxmox writes=${log.proxmoxWrites}, `
    + `reads of other customers' VMs=${log.foreignReads} [${statuses}]`;
}

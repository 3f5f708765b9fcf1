// The history's words for every actor and outcome, for the customer and for
// an operator, with refusal reasons from the core's code table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as core from '../core.mjs';
import { historyText, historyTime, reasonTable } from '../panel/history-wording.mjs';

const reasons = reasonTable(core.errorCodes());
const base = { at: 0, actor: 'customer', action: 'create', snapshot: 'snap1', outcome: 'ok', code: null, message: null, description: null };

/**
 * @param {Partial<import('../panel/history-wording.mjs').HistoryEvent>} e
 * @param {'customer'|'operator'} viewer
 * @param {string} what
 * @param {string|null} detail
 */
function check(e, viewer, what, detail) {
  assert.deepEqual(historyText({ ...base, ...e }, { reasons, viewer }), { what, detail }, JSON.stringify(e));
}

test('customer and operator wording of each actor and outcome', () => {
  const quota = /** @type {string} */ (reasons.get('QUOTA_EXCEEDED'));
  assert.ok(quota.length > 0);
  check({ description: 'before deploy' }, 'customer', 'Taken by you', 'Description: before deploy');
  check({ action: 'rollback' }, 'customer', 'Rolled back by you', null);
  check({ action: 'remove' }, 'customer', 'Removed by you', null);
  check({ action: 'remove', actor: 'job' }, 'customer', 'Removed because its lifetime ended', null);
  check({ action: 'remove', actor: 'operator', actorId: 'ops1' }, 'customer', 'Removed by your provider\'s support', null);
  check({ outcome: 'accepted' }, 'customer', 'Taking a snapshot is still running', null);
  check({ outcome: 'refused', code: 'QUOTA_EXCEEDED', snapshot: null }, 'customer', 'Taking a snapshot was refused', `Reason: ${quota}`);
  check({ outcome: 'refused', code: 'SOMETHING_NEW' }, 'customer', 'Taking a snapshot was refused', 'Reason: SOMETHING_NEW');
  check({ action: 'rollback', outcome: 'failed', message: 'VM is locked (backup)' }, 'customer', 'The rollback failed', 'Proxmox said: VM is locked (backup)');

  check({ actorId: 'alice' }, 'operator', 'Taken by the customer alice', null);
  check({ action: 'remove', actor: 'operator', actorId: 'ops1' }, 'operator', 'Removed by operator ops1', null);
  check({ action: 'remove', actor: 'operator', actorId: 'ops1', outcome: 'failed', message: 'timeout' }, 'operator',
    'The removal by operator ops1 failed', 'Proxmox said: timeout');
  check({ action: 'remove', actor: 'job', outcome: 'refused', code: 'VM_LOCKED' }, 'operator',
    'The automatic removal was refused', `Reason: ${reasons.get('VM_LOCKED')}`);
});

test('the time: ISO for <time datetime>, minutes on a 24-hour clock for the eye', () => {
  const t = historyTime(Date.UTC(2026, 11, 6, 15, 7, 42));
  assert.equal(t.datetime, '2026-12-06T15:07:42.000Z');
  assert.match(t.text, /\b\d{2}:\d{2}$/);
  assert.doesNotMatch(t.text, /42|AM|PM/);
});

// Error codes to HTTP statuses and bodies, as the page relies on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorResponse } from '../server/http-io.mjs';
import { PveError } from '../pve/client.mjs';

/**
 * @param {unknown} err
 * @param {number} status
 * @param {string} code
 */
function check(err, status, code) {
  const r = errorResponse(err);
  assert.equal(r.status, status, JSON.stringify(err));
  assert.equal(r.body.error.code, code);
  assert.equal(typeof r.body.error.message, 'string');
}

/** @param {string} code @param {string} [message] @param {object} [details] */
const coded = (code, message = 'm', details) => Object.assign(new Error(message), { code, details });

test('each code gets its status', () => {
  for (const [code, status] of /** @type {[string, number][]} */ ([
    ['INVALID_NAME', 400], ['INVALID_DESCRIPTION', 400], ['INVALID_INPUT', 400], ['UNAUTHENTICATED', 401],
    ['INVALID_CREDENTIALS', 401], ['CSRF_FAILED', 403], ['NOT_FOUND', 404], ['METHOD_NOT_ALLOWED', 405],
    ['QUOTA_EXCEEDED', 409], ['VM_LOCKED', 409], ['SNAPSHOT_BUSY', 409], ['NOT_MANAGED', 409],
    ['ROLLBACK_NOT_LATEST', 409], ['SNAPSHOTS_DISABLED', 409], ['TOO_LARGE', 413], ['UNSUPPORTED_MEDIA_TYPE', 415],
    ['RATE_LIMITED', 429], ['PVE_SERVER', 502], ['PVE_NETWORK', 502], ['PVE_AUTH', 502], ['PVE_TIMEOUT', 504],
  ])) check(coded(code), status, code);
});

test('details pass through; server faults and unknown errors are a bare 500', () => {
  assert.deepEqual(errorResponse(coded('QUOTA_EXCEEDED', 'full', { used: 3, limit: 3 })).body,
    { error: { code: 'QUOTA_EXCEEDED', message: 'full', details: { used: 3, limit: 3 } } });
  for (const err of [new Error('/etc/secret/path exploded'), coded('INVALID_TARGET'), coded('INVALID_POLICY'), coded('CONFIG_INVALID'),
    new PveError('INVALID_CONFIG', 'Proxmox client configuration: bad'), 'a string', null, undefined, coded('SOMETHING_ELSE')]) {
    assert.deepEqual(errorResponse(err), { status: 500, body: { error: { code: 'INTERNAL', message: 'internal server error' } } });
  }
});

test('Proxmox failures keep Proxmox\'s reason but not the client\'s hosts and paths', () => {
  const err = new PveError('PVE_SERVER', 'GET /nodes/pve1/qemu/101/status/current: HTTP 500: cluster not ready - no quorum?',
    { status: 500, pveMessage: 'cluster not ready - no quorum?' });
  const r = errorResponse(err);
  assert.equal(r.status, 502);
  assert.deepEqual(r.body.error, { code: 'PVE_SERVER', message: 'Proxmox VE refused the request: cluster not ready - no quorum?', details: { pveStatus: 500 } });
  const auth = errorResponse(new PveError('PVE_AUTH', 'GET /x: HTTP 401: Authentication failed! (check the API token id and secret)', { status: 401, pveMessage: 'Authentication failed!' }));
  assert.equal(auth.body.error.message, 'the panel is not authorised at Proxmox VE');
});

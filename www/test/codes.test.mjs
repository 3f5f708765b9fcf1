// The stable codes are defined once, in the core (src/error.rs): the server's
// statuses and the page's wording are read from that list, so a code added
// there cannot be answered with a wrong status or shown as "something went
// wrong".
import test from 'node:test';
import assert from 'node:assert/strict';
import * as core from '../core.mjs';
import { statusForCode } from '../server/http-io.mjs';
import { friendlyMessage } from '../panel/wording.mjs';

const CODES = core.errorCodes();
const GENERIC = friendlyMessage(undefined);

test('the core lists each code once, with a status and a summary', () => {
  assert.ok(CODES.length >= 12);
  assert.equal(new Set(CODES.map((c) => c.code)).size, CODES.length);
  for (const { code, status, summary } of CODES) {
    assert.match(code, /^[A-Z][A-Z_]*[A-Z]$/);
    assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
    assert.ok(summary.length > 10, code);
  }
});

test("the server answers each code with the core's status, anything else with 500", () => {
  for (const { code, status } of CODES) assert.equal(statusForCode(code), status, code);
  assert.equal(statusForCode('NO_SUCH_CODE'), 500);
  assert.equal(statusForCode(undefined), 500);
});

test('the page has its own words for every code', () => {
  for (const { code } of CODES) assert.notEqual(friendlyMessage(code), GENERIC, code);
});

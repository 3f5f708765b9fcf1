// Panel server: request bodies are checked by their schemas before anything
// reaches Proxmox. Every problem of a body is reported at once, each with its
// field; the description is judged by the rules core, in the core's words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as core from '../core.mjs';
import { startStack } from './server-harness.mjs';

/** @type {Awaited<ReturnType<typeof startStack>>} */
let stack;
/** @type {import('./server-harness.mjs').Browser} */
let alice;

before(async () => {
  stack = await startStack({ limits: { actions: 1000 } });
  alice = await stack.browser('alice');
});
after(async () => {
  await stack?.close();
});

/**
 * Runs `fn` and asserts the simulator saw no request at all meanwhile.
 * @param {() => Promise<void>} fn
 */
async function noProxmoxCall(fn) {
  const seen = stack.sim.requests.length;
  await fn();
  assert.deepEqual(stack.sim.requests.slice(seen).map((/** @type {any} */ r) => `${r.method} ${r.path}`), []);
}

/**
 * What the core says about a description, without the field prefix.
 * @param {string} description
 */
function coreSays(description) {
  try {
    core.normalizeDescription(description);
  } catch (e) {
    const err = /** @type {{code: string, message: string, details: {field: string}}} */ (e);
    assert.equal(err.code, 'INVALID_DESCRIPTION');
    assert.equal(err.details.field, 'description');
    return err.message.slice('description: '.length);
  }
  assert.fail('the core accepted the description');
}

test("the core's description check is the one planCreate applies", () => {
  const plan = (/** @type {string} */ description) => core.planCreate({ node: 'pve1', vmid: 101, type: 'qemu' },
    { maxSnapshots: 3, lifetimeDays: 3 }, { status: 'stopped' }, [], { description }, Date.now());
  assert.equal(core.normalizeDescription('a\r\nb\tc'), 'a\nb\tc');
  assert.equal(plan('a\r\nb\tc').params.description, 'a\nb\tc');
  const long = 'x'.repeat(core.limits().descriptionChars + 1);
  assert.throws(() => plan(long), { code: 'INVALID_DESCRIPTION', message: `options.description: ${coreSays(long)}` });
  assert.throws(() => core.normalizeDescription(/** @type {any} */ (5)), { code: 'INVALID_DESCRIPTION', message: /^description: expected a string/ });
});

test('every problem of a body is reported at once, unknown fields first, each with its field', async () => {
  await noProxmoxCall(async () => {
    const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 5, includeRam: 'yes', vmid: 201 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'INVALID_INPUT');
    assert.deepEqual(r.json.error.details, {
      field: 'vmid',
      problems: [
        { field: 'vmid', code: 'INVALID_INPUT', message: 'unknown field (allowed: description, includeRam)' },
        { field: 'description', code: 'INVALID_DESCRIPTION', message: r.json.error.details.problems[1].message },
        { field: 'includeRam', code: 'INVALID_INPUT', message: 'must be true or false' },
      ],
    });
    assert.match(r.json.error.message, /^vmid: unknown field .*; description: .*; includeRam: must be true or false$/);
  });
});

test('a description the core refuses is INVALID_DESCRIPTION in the core\'s words, before any Proxmox call', async () => {
  const { descriptionChars } = core.limits();
  await noProxmoxCall(async () => {
    for (const description of ['bell\u0007', 'x'.repeat(descriptionChars + 1), 'nul\u0000']) {
      const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description } });
      assert.equal(r.status, 400, JSON.stringify(description).slice(0, 40));
      assert.equal(r.json.error.code, 'INVALID_DESCRIPTION');
      assert.equal(r.json.error.message, `description: ${coreSays(description)}`);
      assert.equal(r.json.error.details.field, 'description');
    }
  });
});

test('a description at the core\'s limit is accepted', async () => {
  const { descriptionChars } = core.limits();
  const r = await alice.send('POST', '/api/services/svc-101/snapshots', { json: { description: 'x'.repeat(descriptionChars) } });
  assert.notEqual(r.json?.error?.code, 'INVALID_DESCRIPTION', JSON.stringify(r.json));
  assert.notEqual(r.status, 400);
});

test('login, rollback and remove bodies: types, lengths and unknown fields', async () => {
  const b = await stack.browser();
  const login = await b.send('POST', '/api/login', { json: { username: '', password: 'x'.repeat(1025) } });
  assert.equal(login.status, 400);
  assert.deepEqual(login.json.error.details.problems.map((/** @type {{field: string}} */ p) => p.field), ['username', 'password']);
  await noProxmoxCall(async () => {
    const rollback = await alice.send('POST', '/api/services/svc-101/snapshots/snap20260101T000000/rollback', { json: { start: 1, node: 'pve2' } });
    assert.equal(rollback.status, 400);
    assert.deepEqual(rollback.json.error.details.problems.map((/** @type {{field: string}} */ p) => p.field), ['node', 'start']);
    const remove = await alice.send('DELETE', '/api/services/svc-101/snapshots/snap20260101T000000', { json: { force: true } });
    assert.equal(remove.status, 400);
    assert.deepEqual(remove.json.error.details, {
      field: 'force', problems: [{ field: 'force', code: 'INVALID_INPUT', message: 'unknown field (allowed: none)' }],
    });
  });
});

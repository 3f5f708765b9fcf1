// The run command's entry point (www/server/main.mjs), the password tool and
// the server's own config checks, run as real processes where they are.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { rawRequest, Browser } from './server-harness.mjs';
import { verifyPassword, hashPassword } from '../server/passwords.mjs';
import { checkCustomers } from '../server/customer-directory.mjs';

const MAIN = fileURLToPath(new URL('../server/main.mjs', import.meta.url));
const HASH_TOOL = fileURLToPath(new URL('../server/hash-password.mjs', import.meta.url));

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * @param {string} file
 * @param {string[]} args
 * @param {{env?: Record<string, string>, input?: string}} [options]
 */
function run(file, args, { env = {}, input } = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PVE_')));
  const child = spawn(process.execPath, [file, ...args], { env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  child.stdin.end(input);
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('main.mjs without PVE_URL: demo mode prints the URL and the demo logins, and the panel works', async () => {
  const p = run(MAIN, ['--port', '0']);
  const deadline = Date.now() + 30_000; // safety net only
  while (!/demo login: bob/.test(p.out())) {
    if (p.child.exitCode !== null) assert.fail(`main.mjs exited: ${p.err()}`);
    if (Date.now() > deadline) assert.fail(`no banner: ${p.out()} ${p.err()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /** @type {RegExpExecArray} */ (/(http:\/\/127\.0\.0\.1:\d+)\//.exec(p.out()))[1];
  assert.match(p.out(), /demo login: alice \/ alice-demo/);
  assert.match(p.out(), /demo login: bob \/ bob-demo/);

  const page = await rawRequest(url, 'GET', '/');
  assert.equal(page.status, 200);
  const b = new Browser(url, []);
  assert.equal((await b.login('alice', 'alice-demo')).status, 200);
  const services = await b.send('GET', '/api/services');
  assert.equal(services.json.services.length, 3);
  const snaps = await b.send('GET', '/api/services/svc-101/snapshots');
  assert.equal(snaps.status, 200, snaps.text);
  assert.equal(snaps.json.vmStatus.status, 'running');

  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  assert.equal(code, 0);
});

test('main.mjs with PVE_URL but no --config refuses to start (exit 2)', async () => {
  const p = run(MAIN, ['--port', '0'], { env: { PVE_URL: 'https://pve.invalid:8006', PVE_TOKEN_SECRET: 'not-used' } });
  const { code } = await p.exited;
  assert.equal(code, 2);
  assert.match(p.err(), /--config/);
  assert.doesNotMatch(p.err() + p.out(), /not-used/);
});

test('main.mjs rejects a bad --port and unknown options', async () => {
  const a = run(MAIN, ['--port', 'http']);
  assert.equal((await a.exited).code, 2);
  const b = run(MAIN, ['--frobnicate']);
  assert.notEqual((await b.exited).code, 0);
  const c = run(MAIN, ['--port', '0', '--tls-cert', '/nonexistent.pem']);
  assert.equal((await c.exited).code, 2);
  assert.match(c.err(), /--tls-key/);
});

test('hash-password.mjs reads the password from stdin and prints a hash that verifies', async () => {
  const p = run(HASH_TOOL, [], { input: 'correct horse\n' });
  assert.equal((await p.exited).code, 0);
  const hash = p.out().trim();
  assert.match(hash, /^scrypt\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('correct horse\n', hash), false);
  assert.equal(await verifyPassword('wrong', hash), false);
  const withArg = run(HASH_TOOL, ['secret-on-the-command-line']);
  assert.equal((await withArg.exited).code, 2, 'passwords are never taken from argv');
});

test('the server validates the customers section, naming the JSON path', async () => {
  const hash = await hashPassword('pw');
  const service = { id: 'svc-1', customer: 'alice', vmid: 101, type: /** @type {const} */ ('qemu'), product: 'vps-s', name: 'web' };
  /** @param {unknown} customers */
  const build = (customers) => checkCustomers({ customers, services: [service] });
  /** @type {Array<[unknown, RegExp]>} */
  const cases = [
    [undefined, /^customers: /],
    [[], /^customers: /],
    [[{ username: 'alice', passwordHash: 'plain' }], /^customers\[0\]\.passwordHash: /],
    [[{ username: 'al ice', passwordHash: hash }], /^customers\[0\]\.username: /],
    [[{ username: 'alice', passwordHash: hash }, { username: 'alice', passwordHash: hash }], /^customers\[1\]\.username: duplicate/],
    [[{ username: 'bob', passwordHash: hash }], /^services\[0\]\.customer: unknown customer "alice"/],
  ];
  for (const [customers, message] of cases) {
    assert.throws(() => build(customers), (/** @type {any} */ e) => e.code === 'CONFIG_INVALID' && message.test(e.message), JSON.stringify(customers));
  }
  assert.deepEqual(build([{ username: 'alice', passwordHash: hash }]), [{ username: 'alice', displayName: 'alice', passwordHash: hash }]);
});

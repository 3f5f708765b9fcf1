// The shared config loader: shape, defaults, secrets, env overrides, and one
// clear ConfigError listing every problem with its JSON path.
// config-products.test.mjs covers the policies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig, ConfigError, JOB_DEFAULTS } from '../config.mjs';
import * as core from '../core.mjs';

/** @typedef {ConfigError & {details: {problems: {path: string, message: string}[]}}} Refusal */

const SECRET = '0b7c5a3e-7a9f-4c1e-9d55-1f2e3d4c5b6a';
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join(':');
/** @type {string} */
let dir;

before(async () => { dir = await mkdtemp(join(tmpdir(), 'config-load-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

let counter = 0;
/**
 * Writes `content` (an object is JSON-encoded) to a fresh file and returns its path.
 * @param {unknown} content @param {string} [name]
 */
async function file(content, name = `config-${++counter}.json`) {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** @param {Record<string, unknown>} [overrides] */
function base(overrides = {}) {
  return { pve: { url: 'https://pve1.example.net:8006', tokenId: 'snap@pve!panel' }, ...overrides };
}

/**
 * Loads and expects a ConfigError; returns it.
 * @param {unknown} config  a config, or the path of a file
 * @param {Record<string, string>} [env]
 * @returns {Promise<Refusal>}
 */
async function rejects(config, env = { PVE_TOKEN_SECRET: SECRET }) {
  const path = typeof config === 'string' && !config.startsWith('{') ? config : await file(config);
  const err = await loadConfig(path, { env }).then(() => null, (e) => e);
  assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.ok(!err.message.includes(SECRET), 'the secret must never appear in an error');
  return /** @type {Refusal} */ (err);
}

/**
 * Asserts that loading `config` fails with a problem at `path` whose message matches `re`.
 * @param {unknown} config @param {string} path @param {RegExp} re @param {Record<string, string>} [env]
 */
async function check(config, path, re, env) {
  const err = await rejects(config, env);
  const found = err.details.problems.find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}; got ${JSON.stringify(err.details.problems)}`);
  assert.match(found.message, re);
  assert.ok(err.message.includes(`${path}: ${found.message}`), 'the message names the path');
}

test('a minimal config loads with defaults filled in', async () => {
  const cfg = await loadConfig(await file(base()), { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.deepEqual({ ...cfg.pve }, {
    url: 'https://pve1.example.net:8006', tokenId: 'snap@pve!panel', tokenSecret: SECRET,
    fingerprint: null, caFile: null, insecure: false, timeoutMs: 15000,
  });
  assert.deepEqual(cfg.products, {});
  assert.deepEqual(cfg.services, []);
  assert.equal(cfg.customers, undefined);
  assert.deepEqual(cfg.job, { ...JOB_DEFAULTS });
});

test('every documented setting is read and normalised', async () => {
  const ca = await file('-----BEGIN CERTIFICATE-----\n', 'ca.pem');
  const customers = [{ username: 'alice', displayName: 'Alice', passwordHash: 'scrypt$a$b' }];
  const cfg = await loadConfig(await file({
    pve: { url: 'http://127.0.0.1:8006/', tokenId: 'root@pam!panel', fingerprint: FINGERPRINT, caFile: ca, insecure: true, timeoutMs: 2000 },
    customers,
    server: { port: 8080 },
    job: { concurrency: 3, perNode: 1, taskTimeoutMs: 5000, maxRunMs: 60000, maxClockSkewMs: 5000, stateDir: '/tmp/x', auditRetentionDays: 90, intervalMinutes: 15 },
  }), { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.equal(cfg.pve.url, 'http://127.0.0.1:8006', 'trailing slash dropped, http accepted');
  assert.equal(cfg.pve.fingerprint, FINGERPRINT.toUpperCase());
  assert.equal(cfg.pve.caFile, ca);
  assert.equal(cfg.pve.insecure, true);
  assert.equal(cfg.pve.timeoutMs, 2000);
  assert.deepEqual(cfg.customers, customers, 'customers passed through');
  assert.deepEqual(cfg.server, { port: 8080 }, 'sections of other parts passed through');
  assert.deepEqual(cfg.job, { concurrency: 3, perNode: 1, taskTimeoutMs: 5000, maxRunMs: 60000, maxClockSkewMs: 5000, stateDir: '/tmp/x', auditRetentionDays: 90, intervalMinutes: 15 });
});

test('the token secret comes from env first, else from the secret file', async () => {
  const secretFile = await file(`${SECRET}\n`, 'secret');
  const path = await file(base({ pve: { url: 'https://h:8006', tokenId: 'a@pve!tok', tokenSecretFile: secretFile } }));
  assert.equal((await loadConfig(path, { env: {} })).pve.tokenSecret, SECRET, 'file, trailing newline trimmed');
  assert.equal((await loadConfig(path, { env: { PVE_TOKEN_SECRET: 'from-env' } })).pve.tokenSecret, 'from-env');
});

test('plain http is accepted for loopback, or anywhere with insecure', async () => {
  for (const url of ['http://127.0.0.1:8006', 'http://localhost:8006', 'http://[::1]:8006', 'http://127.5.6.7']) {
    const cfg = await loadConfig(await file(base({ pve: { url, tokenId: 'a@pve!tok' } })), { env: { PVE_TOKEN_SECRET: SECRET } });
    assert.equal(cfg.pve.url, new URL(url).origin);
  }
  const cfg = await loadConfig(await file(base({ pve: { url: 'http://10.1.2.3:8006', tokenId: 'a@pve!tok', insecure: true } })), { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.equal(cfg.pve.insecure, true);
});

test('PVE_URL and PVE_TOKEN_ID override the file', async () => {
  const cfg = await loadConfig(await file(base()), {
    env: { PVE_TOKEN_SECRET: SECRET, PVE_URL: 'http://127.0.0.1:9', PVE_TOKEN_ID: 'root@pam!sim' },
  });
  assert.equal(cfg.pve.url, 'http://127.0.0.1:9');
  assert.equal(cfg.pve.tokenId, 'root@pam!sim');
  await check(base(), 'env PVE_URL', /not a URL/, { PVE_TOKEN_SECRET: SECRET, PVE_URL: 'nonsense' });
});

test('the secret never shows in JSON or console output of the config', async () => {
  const cfg = await loadConfig(await file(base()), { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.equal(cfg.pve.tokenSecret, SECRET);
  assert.ok(!JSON.stringify(cfg).includes(SECRET));
  assert.ok(!inspect(cfg, { depth: 5 }).includes(SECRET));
  assert.match(JSON.stringify(cfg.pve), /\[redacted\]/);
});

test('secret problems are errors that do not leak the secret', async () => {
  await check(base(), 'pve.tokenSecretFile', /PVE_TOKEN_SECRET/, {});
  await check(base({ pve: { url: 'https://h:8006', tokenId: 'a@pve!tok', tokenSecretFile: join(dir, 'absent') } }),
    'pve.tokenSecretFile', /cannot read .*ENOENT/, {});
  const empty = await file('\n', 'empty-secret');
  await check(base({ pve: { url: 'https://h:8006', tokenId: 'a@pve!tok', tokenSecretFile: empty } }), 'pve.tokenSecretFile', /is empty/, {});
  await check(base({ pve: { url: 'https://h:8006', tokenId: 'a@pve!tok', tokenSecret: SECRET } }), 'pve.tokenSecret', /must not be in the config/);
});

/** @type {[unknown, string, RegExp][]} */
const PVE_CASES = [
  [{ tokenId: 'a@pve!tok' }, 'pve.url', /missing/],
  [{ url: 'ftp://h', tokenId: 'a@pve!tok' }, 'pve.url', /https:\/\//],
  [{ url: 'https://h:8006/api2/json', tokenId: 'a@pve!tok' }, 'pve.url', /base URL only/],
  [{ url: 'https://u:p@h:8006', tokenId: 'a@pve!tok' }, 'pve.url', /credentials/],
  [{ url: 'http://pve1.example.net:8006', tokenId: 'a@pve!tok' }, 'pve.url', /plain http:\/\/ is only for a simulator/],
  [{ url: 'https://h:8006' }, 'pve.tokenId', /missing/],
  [{ url: 'https://h:8006', tokenId: 'root@pam' }, 'pve.tokenId', /user@realm!tokenid/],
  [{ url: 'https://h:8006', tokenId: 'a@pve!tok', fingerprint: 'AA:BB' }, 'pve.fingerprint', /SHA-256/],
  [{ url: 'https://h:8006', tokenId: 'a@pve!tok', caFile: '/nonexistent/ca.pem' }, 'pve.caFile', /cannot read/],
  [{ url: 'https://h:8006', tokenId: 'a@pve!tok', insecure: 'yes' }, 'pve.insecure', /true or false/],
  [{ url: 'https://h:8006', tokenId: 'a@pve!tok', timeoutMs: 0 }, 'pve.timeoutMs', /integer from 100/],
  [{ url: 'https://h:8006', tokenId: 'a@pve!tok', tokenid: 'x' }, 'pve.tokenid', /unknown setting/],
];
for (const [pve, path, re] of PVE_CASES) {
  test(`pve ${JSON.stringify(pve)} → ${path}`, () => check({ pve }, path, re));
}

/** @type {[unknown, string, RegExp][]} */
const JOB_CASES = [
  [{ concurrency: 0 }, 'job.concurrency', /integer from 1/],
  [{ perNode: 1.5 }, 'job.perNode', /integer/],
  [{ taskTimeoutMs: '600000' }, 'job.taskTimeoutMs', /integer/],
  [{ maxRunMs: 10 }, 'job.maxRunMs', /integer from 1000/],
  [{ maxClockSkewMs: -1 }, 'job.maxClockSkewMs', /integer from 1000/],
  [{ auditRetentionDays: 0 }, 'job.auditRetentionDays', /integer from 1/],
  [{ intervalMinutes: 0 }, 'job.intervalMinutes', /integer from 1/],
  [{ intervalMinutes: 10081 }, 'job.intervalMinutes', /integer from 1/],
  [{ stateDir: '' }, 'job.stateDir', /directory/],
  [{ concurency: 2 }, 'job.concurency', /unknown setting/],
  ['fast', 'job', /object/],
];
for (const [job, path, re] of JOB_CASES) {
  test(`job ${JSON.stringify(job)} → ${path}`, () => check(base({ job }), path, re));
}

test('service references and duplicates are errors', async () => {
  const svc = (/** @type {Record<string, unknown>} */ over = {}) => ({ id: 'svc-1', customer: 'alice', vmid: 101, type: 'qemu', product: 'vps-s', ...over });
  await check(base({ services: [svc()] }), 'services[0].product', /unknown product "vps-s"/);
  await check(base({ services: [svc(), svc({ vmid: 102 })] }), 'services[1].id', /duplicate service id "svc-1"/);
  await check(base({ services: [svc(), svc({ id: 'svc-2' })] }), 'services[1].vmid', /duplicate VM qemu\/101/);
  await check(base({ services: [svc(), svc({ id: 'svc-2', type: 'lxc' })] }), 'services[1].vmid', /duplicate VM lxc\/101/);
  await check(base({ services: [svc({ vmid: 99 })] }), 'services[0].vmid', /100 to 999999999/);
  await check(base({ services: [svc({ vmid: '101' })] }), 'services[0].vmid', /integer/);
  await check(base({ services: [svc({ type: 'kvm' })] }), 'services[0].type', /qemu.*lxc/);
  await check(base({ services: [svc({ customer: '' })] }), 'services[0].customer', /non-empty/);
  await check(base({ services: [svc({ node: 'pve1' })] }), 'services[0].node', /unknown setting/);
  await check(base({ services: {} }), 'services', /array/);
  await check(base({ products: [] }), 'products', /object/);
});

test('all problems are reported at once, each with its path', async () => {
  const err = await rejects({ pve: { url: 'ftp://x' }, job: { concurrency: -1 }, services: [{ id: 'a' }] }, {});
  const paths = err.details.problems.map((p) => p.path);
  for (const p of ['pve.url', 'pve.tokenId', 'pve.tokenSecretFile', 'job.concurrency', 'services[0].customer', 'services[0].vmid', 'services[0].product']) {
    assert.ok(paths.includes(p), `missing ${p} in ${paths}`);
  }
});

test('unreadable, non-JSON and non-object files are clear errors', async () => {
  await check(join(dir, 'missing.json'), '(file)', /cannot read the config file: ENOENT/);
  await check(await file('{"pve": '), '(file)', /not valid JSON/);
  await check(await file('[1, 2]'), '(root)', /JSON object/);
  const err = await loadConfig('', { env: {} }).catch((e) => e);
  assert.equal(err.code, 'CONFIG_INVALID');
});

test('a VM id and a guest type are the core\'s to judge: its words, at the service\'s path', async () => {
  const svc = { id: 'svc-1', customer: 'alice', product: 'p' };
  const products = { p: { maxSnapshots: 1, lifetimeDays: 1 } };
  /** @param {Record<string, unknown>} target @param {string} field */
  const coreSays = (target, field) => {
    try {
      core.validateTarget(/** @type {any} */ ({ node: 'localhost', ...target }));
    } catch (e) {
      const err = /** @type {{code: string, message: string, details: {field: string}}} */ (e);
      assert.equal(err.code, 'INVALID_TARGET');
      assert.equal(err.details.field, `target.${field}`);
      return err.message.slice(`target.${field}: `.length);
    }
    assert.fail(`the core accepted ${JSON.stringify(target)}`);
  };
  const { vmidMin, vmidMax } = core.limits();
  for (const [entry, field] of /** @type {const} */ ([
    [{ vmid: vmidMin - 1 }, 'vmid'], [{ vmid: vmidMax + 1 }, 'vmid'], [{ vmid: 100.5 }, 'vmid'], [{ vmid: '101' }, 'vmid'], [{}, 'vmid'],
    [{ vmid: 101, type: 'kvm' }, 'type'], [{ vmid: 101, type: 1 }, 'type'],
  ])) {
    const err = await rejects(base({ products, services: [{ ...svc, ...entry }] }));
    assert.deepEqual(err.details.problems, [{ path: `services[0].${field}`, message: coreSays(entry, field) }], JSON.stringify(entry));
  }
  const ok = await loadConfig(await file(base({ products, services: [{ ...svc, vmid: vmidMax, type: 'lxc' }, { ...svc, id: 'svc-2', vmid: vmidMin }] })),
    { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.deepEqual(ok.services.map((s) => [s.vmid, s.type]), [[vmidMax, 'lxc'], [vmidMin, 'qemu']], 'the core fills in the type');
});

test('a bad vmid and a bad type in one service are both reported', async () => {
  const err = await rejects(base({ products: { p: { maxSnapshots: 1, lifetimeDays: 1 } },
    services: [{ id: 'svc-1', customer: 'alice', product: 'p', vmid: 1, type: 'kvm' }] }));
  assert.deepEqual(err.details.problems.map((p) => p.path), ['services[0].vmid', 'services[0].type']);
});

test('unknown keys are refused one by one, prototype keys included', async () => {
  const raw = '{"pve": {"url": "https://h:8006", "tokenId": "a@pve!tok", "__proto__": {"insecure": true}, "constructor": 1}}';
  const err = await rejects(await file(raw));
  assert.deepEqual(err.details.problems.map((p) => p.path), ['pve.__proto__', 'pve.constructor']);
  assert.match(err.details.problems[0].message, /^unknown setting \(known: url, tokenId, tokenSecretFile, fingerprint, caFile, insecure, timeoutMs\)$/);
});

test('a fingerprint is read as the client reads it: 64 hex digits, colons optional', async () => {
  const hex = 'ab'.repeat(32);
  const cfg = await loadConfig(await file(base({ pve: { url: 'https://h:8006', tokenId: 'a@pve!tok', fingerprint: hex } })), { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.equal(cfg.pve.fingerprint, Array(32).fill('AB').join(':'));
  await check(base({ pve: { url: 'https://h:8006', tokenId: 'a@pve!tok', fingerprint: 'ab'.repeat(31) } }), 'pve.fingerprint', /SHA-256/);
  await check(base({ pve: { url: 'https://h:8006', tokenId: 'a@pve!tok', fingerprint: 42 } }), 'pve.fingerprint', /SHA-256/);
});

test('problems with the environment name the variable', async () => {
  await check(base(), 'env PVE_TOKEN_ID', /user@realm!tokenid/, { PVE_TOKEN_SECRET: SECRET, PVE_TOKEN_ID: 'root@pam' });
  await check(base(), 'env PVE_URL', /plain http/, { PVE_TOKEN_SECRET: SECRET, PVE_URL: 'http://pve1.example.net:8006' });
});

test('hostApi: key hashes, the public URL and the sign-on lifetime are checked; defaults filled in', async () => {
  const hash = 'AB'.repeat(32);
  const hostApi = { keys: [{ name: 'whmcs', sha256: hash }], publicUrl: 'https://panel.example.net/snapshots/' };
  const cfg = await loadConfig(await file(base({ hostApi })), { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.deepEqual(cfg.hostApi, { keys: [{ name: 'whmcs', sha256: hash.toLowerCase() }], publicUrl: 'https://panel.example.net/snapshots', ssoTtlSeconds: 60 });
  await check(base({ hostApi: { ...hostApi, keys: [] } }), 'hostApi.keys', /at least one key/);
  await check(base({ hostApi: { ...hostApi, keys: [{ name: 'whmcs', sha256: 'secret-in-clear' }] } }), 'hostApi.keys[0].sha256', /64 hex digits/);
  await check(base({ hostApi: { ...hostApi, keys: [{ name: 'a', sha256: hash }, { name: 'a', sha256: hash }] } }), 'hostApi.keys[1].name', /duplicate/);
  await check(base({ hostApi: { ...hostApi, publicUrl: 'http://panel.example.net' } }), 'hostApi.publicUrl', /https/);
  await check(base({ hostApi: { ...hostApi, publicUrl: 'https://panel.example.net/?x=1' } }), 'hostApi.publicUrl', /without credentials, query/);
  await check(base({ hostApi: { ...hostApi, ssoTtlSeconds: 61 } }), 'hostApi.ssoTtlSeconds', /from 1 to 60/);
  await check(base({ hostApi: { ...hostApi, ssoTtlSeconds: 0 } }), 'hostApi.ssoTtlSeconds', /from 1 to 60/);
  await check(base({ hostApi: { ...hostApi, key: 'x' } }), 'hostApi.key', /unknown setting/);
  const loopback = await loadConfig(await file(base({ hostApi: { ...hostApi, publicUrl: 'http://127.0.0.1:8080' } })), { env: { PVE_TOKEN_SECRET: SECRET } });
  assert.equal(loopback.hostApi?.publicUrl, 'http://127.0.0.1:8080');
});

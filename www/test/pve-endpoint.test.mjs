// The token-id pattern and the loopback test are defined once (www/pve/endpoint.mjs);
// these cases pin what they accept, and that the client and the config loader
// both answer by them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_ID_PATTERN, isTokenId, isLoopbackHost } from '../pve/endpoint.mjs';
import { createPveClient } from '../pve/client.mjs';
import { loadConfig } from '../config.mjs';

const ACCEPTED = [
  'root@pam!panel',
  'snap@pve!panel',
  'a-b_c.d@pve!t-1.x_y',
  'jane@example.com@oidc!snapshots', // OpenID users named by e-mail address
  'x!y@pve!tok',                      // Proxmox's user part allows "!"; the last "@…!…" splits
  'admin@my-ad.example!Panel2',
  'ab@pv!tk',                         // realm and token name: two characters at least
];

const REFUSED = [
  ['', 'empty'],
  ['root@pam', 'no token name'],
  ['root!panel', 'no realm'],
  ['@pam!panel', 'empty user'],
  ['root@!panel', 'empty realm'],
  ['root@pam!', 'empty token name'],
  ['root@p!panel', 'one-character realm'],
  ['root@pam!t', 'one-character token name'],
  ['root@1pam!panel', 'realm starting with a digit'],
  ['root@pam!1panel', 'token name starting with a digit'],
  ['root@pa m!panel', 'space in the realm'],
  ['ro ot@pam!panel', 'space in the user'],
  ['ro\tot@pam!panel', 'tab in the user'],
  ['ro:ot@pam!panel', '":" in the user'],
  ['a/b@pam!panel', '"/" in the user'],
  ['a;b@pam!panel', '";" (Proxmox cuts the header there)'],
  ['a%41@pam!panel', '"%" (Proxmox percent-decodes the header)'],
  ['jörg@pve!panel', 'non-ASCII user'],
  ['root@pam!panel\n', 'trailing newline'],
  ['root@pam!panel=0b7c5a3e', 'the secret glued on'],
  ['root@pam!pa:nel', '":" in the token name'],
  ['root@pam!pa!nel', '"!" in the token name'],
];

test('the token-id pattern accepts Proxmox token ids', () => {
  for (const id of ACCEPTED) assert.ok(isTokenId(id), id);
});

test('the token-id pattern refuses what Proxmox would not split or the header would mangle', () => {
  for (const [id, why] of REFUSED) assert.ok(!isTokenId(id), `${JSON.stringify(id)} (${why})`);
  for (const value of [undefined, null, 42, ['root@pam!panel'], { toString: () => 'root@pam!panel' }]) {
    assert.equal(isTokenId(value), false, String(value));
  }
  assert.equal(TOKEN_ID_PATTERN.flags, '', 'no m flag: $ must mean the end of the string');
});

test('loopback hosts are localhost, ::1 and 127.0.0.0/8 only', () => {
  for (const host of ['localhost', '127.0.0.1', '127.5.6.7', '127.255.255.255', '[::1]', '::1', 'LOCALHOST']) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ['10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io', 'localhost.example.net', 'pve1', '[::2]', '[::ffff:127.0.0.1]', '0.0.0.0', '']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test('the client takes exactly the token ids the pattern accepts', () => {
  const options = { url: 'https://pve1.example.net:8006', tokenSecret: 'S' };
  for (const tokenId of ACCEPTED) createPveClient({ ...options, tokenId }).close();
  for (const [tokenId, why] of REFUSED) {
    assert.throws(() => createPveClient({ ...options, tokenId }),
      (/** @type {any} */ e) => e.code === 'INVALID_CONFIG' && e.details.field === 'tokenId', why);
  }
});

/** @type {string} */
let dir;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'pve-endpoint-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

test('the config loader takes exactly the token ids the pattern accepts', async () => {
  let n = 0;
  const load = async (/** @type {Record<string, unknown>} */ pve) => {
    const path = join(dir, `c${++n}.json`);
    await writeFile(path, JSON.stringify({ pve }));
    return loadConfig(path, { env: { PVE_TOKEN_SECRET: 'S' } });
  };
  for (const tokenId of ACCEPTED) {
    assert.equal((await load({ url: 'https://pve1.example.net:8006', tokenId })).pve.tokenId, tokenId);
  }
  for (const [tokenId, why] of REFUSED) {
    /** @type {any} */
    const err = await load({ url: 'https://pve1.example.net:8006', tokenId }).then(() => null, (e) => e);
    assert.ok(err, `${JSON.stringify(tokenId)} (${why}) was accepted`);
    assert.deepEqual(err.details.problems.map((/** @type {{path: string}} */ p) => p.path), ['pve.tokenId'], why);
  }
  for (const url of ['http://127.0.0.1:8006', 'http://[::1]:8006', 'http://localhost:8006']) {
    assert.equal((await load({ url, tokenId: 'root@pam!panel' })).pve.url, url);
  }
  /** @type {any} */
  const err = await load({ url: 'http://10.0.0.1:8006', tokenId: 'root@pam!panel' }).then(() => null, (e) => e);
  assert.deepEqual(err?.details.problems.map((/** @type {{path: string}} */ p) => p.path), ['pve.url']);
});

// The admin tool that makes host API keys: a fresh random key each run, and
// the config entry holding only its SHA-256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const TOOL = fileURLToPath(new URL('../server/host-key.mjs', import.meta.url));

/** @param {string[]} args */
async function tool(args) {
  const r = await run(process.execPath, [TOOL, ...args]).catch((err) => err);
  return { code: r.code ?? 0, stdout: String(r.stdout), stderr: String(r.stderr) };
}

test('host-key prints a new key and the entry with its SHA-256, never the same key twice', async () => {
  const keys = new Set();
  for (let i = 0; i < 2; i++) {
    const { code, stdout } = await tool(['whmcs']);
    assert.equal(code, 0);
    const key = /^ {2}(pvesnap_[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1];
    assert.ok(key, stdout);
    const entry = JSON.parse(/^ {2}(\{.*\})$/m.exec(stdout)?.[1] ?? 'null');
    assert.deepEqual(entry, { name: 'whmcs', sha256: createHash('sha256').update(key).digest('hex') });
    keys.add(key);
  }
  assert.equal(keys.size, 2);
  const bad = await tool(['not a name']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /key name must be/);
});

// The README's usage example, executed against the built package so it cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the README usage example runs and prints what its comments say', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const match = readme.match(/## Using the package from JavaScript\n+```js\n([\s\S]*?)```/);
  assert.ok(match, 'README has the usage example');
  const pkg = pathToFileURL(join(root, 'pkg/pve_snapshots.js')).href;
  const wasm = join(root, 'pkg/pve_snapshots_bg.wasm');
  const source = match[1]
    .replace("from 'pve-snapshots'", `from ${JSON.stringify(pkg)}`)
    .replace('await init();', `await init({ module_or_path: await (await import('node:fs/promises')).readFile(${JSON.stringify(wasm)}) });`);
  assert.notEqual(source, match[1]);

  const dir = await mkdtemp(join(tmpdir(), 'readme-'));
  const file = join(dir, 'example.mjs');
  await writeFile(file, source);
  /** @type {unknown[][]} */
  const logs = [];
  const original = console.log;
  console.log = (...args) => logs.push(args);
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = original;
    await rm(dir, { recursive: true, force: true });
  }
  assert.deepEqual(logs[0], ['1/3', '1 day 21:30:00']);
  assert.deepEqual(logs[1], ['QUOTA_EXCEEDED', { used: 1, limit: 1 }]);
  assert.deepEqual(logs[2], [{ state: 'failed', warnings: 0, message: 'VM is locked (backup)', lock: 'backup' }]);
  assert.equal(logs.length, 3);
});

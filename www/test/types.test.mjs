// The package's .d.ts is generated from the Rust types (tsify) and committed
// as types/pve_snapshots.d.ts, so every change to the API shows in review:
// a fresh build must produce exactly the committed file. A strict
// TypeScript compile of typical usage must pass, and known misuse must stay
// a type error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

test("the built package's .d.ts is the committed types/pve_snapshots.d.ts", async () => {
  const [built, committed] = await Promise.all([
    readFile(`${root}pkg/pve_snapshots.d.ts`, 'utf8'),
    readFile(`${root}types/pve_snapshots.d.ts`, 'utf8'),
  ]);
  assert.ok(built === committed,
    'the API changed: review the difference, then cp pkg/pve_snapshots.d.ts types/pve_snapshots.d.ts and commit it');
});

test('the .d.ts types every export strictly', async () => {
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  const args = [tsc, '--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--skipLibCheck', 'false', 'www/test/fixtures/package-usage.ts'];
  const result = await run(process.execPath, args, { cwd: root }).catch((err) => err);
  assert.equal(result.code ?? 0, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
});

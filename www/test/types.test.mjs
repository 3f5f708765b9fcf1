// The npm package's .d.ts types every export: a strict TypeScript compile of
// typical usage must pass, and known misuse must stay a type error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

test('pkg/pve_snapshots.d.ts types every export strictly', async () => {
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  const args = [tsc, '--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--skipLibCheck', 'false', 'www/test/fixtures/package-usage.ts'];
  const result = await run(process.execPath, args, { cwd: root }).catch((err) => err);
  assert.equal(result.code ?? 0, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
});

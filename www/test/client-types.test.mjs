// www/pve/client.d.mts (the hand-kept types) compiles under strict
// TypeScript for typical use, rejects a wrong method, and names what the
// module really exports.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as client from '../pve/client.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const clientPath = fileURLToPath(new URL('../pve/client.mjs', import.meta.url));
const dts = readFileSync(new URL('../pve/client.d.mts', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'client-types-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** @param {string} source @returns {Promise<{code: number, output: string}>} */
function tsc(source) {
  const file = join(dir, `use-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, source);
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', file], { timeout: 50000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

const USE = `
import { createPveClient, PveError, type TaskResult, type PveErrorCode } from ${JSON.stringify(clientPath)};
export async function use(): Promise<void> {
  const pve = createPveClient({ url: 'https://pve1:8006', tokenId: 'snap@pve!panel', tokenSecret: 's', fingerprint: null, caFile: null, insecure: false, timeoutMs: 1000, retries: 2 });
  const data: unknown = await pve.request({ method: 'GET', path: '/version', params: { a: 1, b: true, c: undefined } }, { timeoutMs: 5 });
  await pve.request({ method: 'POST', path: '/x', params: { snapname: 'a1' }, name: 'a1' });
  const r: TaskResult = await pve.waitForTask('UPID:x', { timeoutMs: 1, intervalMs: 1, signal: AbortSignal.timeout(5),
    onProgress: ({ elapsedMs, status }) => { void elapsedMs; void status.exitstatus; } });
  const s: 'ok' | 'failed' | 'running' = r.state;
  const timedOut: boolean = r.timedOut;
  try { await pve.request({ method: 'DELETE', path: '/y' }); } catch (e) {
    if (e instanceof PveError) { const c: PveErrorCode = e.code; const st: number | null = e.status; void c; void st; void e.retryable; void e.errors; }
  }
  pve.close();
  void data; void s; void timedOut;
}
`;

const hasTsc = (() => {
  try {
    readFileSync(join(root, 'node_modules/typescript/package.json'));
    return true;
  } catch {
    return false;
  }
})();

test('the runtime exports are the ones the types declare', () => {
  assert.deepEqual(Object.keys(client).sort(), ['PveError', 'createPveClient']);
  for (const name of Object.keys(client)) assert.match(dts, new RegExp(`export (class|function) ${name}\\b`));
  const pve = client.createPveClient({ url: 'http://127.0.0.1:1', tokenId: 'snap@pve!panel', tokenSecret: 's' });
  assert.deepEqual(Object.keys(pve).sort(), ['close', 'request', 'waitForTask']);
  pve.close();
});

test('every error code the client throws is in the PveErrorCode type', () => {
  const declared = new Set([...dts.matchAll(/\| '([A-Z_]+)'/g)].map((m) => m[1]));
  const sources = ['errors.mjs', 'client.mjs', 'request-description.mjs', 'tls-agent.mjs', 'task-wait.mjs']
    .map((f) => readFileSync(new URL(`../pve/${f}`, import.meta.url), 'utf8')).join('\n');
  const thrown = new Set([...sources.matchAll(/new PveError\('([A-Z_]+)'/g)].map((m) => m[1]));
  assert.ok(thrown.size >= 8, `found ${[...thrown]}`);
  for (const code of thrown) assert.ok(declared.has(code), `${code} missing from client.d.mts`);
});

test('typical use type-checks under strict TypeScript', { skip: !hasTsc && 'typescript not installed' }, async () => {
  const { code, output } = await tsc(USE);
  assert.equal(code, 0, output);
});

test('a method Proxmox does not have is a type error', { skip: !hasTsc && 'typescript not installed' }, async () => {
  const { code, output } = await tsc(`${USE}\nexport async function bad(): Promise<void> { await createPveClient({ url: '', tokenId: '', tokenSecret: '' }).request({ method: 'PATCH', path: '/x' }); }\n`);
  assert.notEqual(code, 0);
  assert.match(output, /PATCH/);
});

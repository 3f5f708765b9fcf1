// The command line: serves the demo seed on a port with the given token and
// stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** @typedef {import('./helpers/sim-client.mjs').PveEntry} PveEntry */

const CLI = fileURLToPath(new URL('../simulator/cli.mjs', import.meta.url));

test('--help documents the flags', () => {
  const out = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  for (const flag of ['--port', '--token', '--seed', '--tls-key', '--tls-cert', '--latency', '--error-rate', '--hang-tasks', '--clock', '--task-ms']) assert.ok(out.includes(flag), flag);
});

test('serves the demo seed with the given token, then exits on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--token', 'root@pam!cli=TOPSECRET', '--clock', '2026-11-25T12:00:00Z', '--node-skew', 'pve2=3600000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const ok = await fetch(`${url}/api2/json/nodes/pve1/qemu/101/snapshot`, { headers: { Authorization: 'PVEAPIToken=root@pam!cli=TOPSECRET' } });
  assert.equal(ok.status, 200);
  const list = (await ok.json()).data;
  const managed = list.find((/** @type {PveEntry} */ e) => e.name === 'snap20261124T090000');
  assert.equal(managed.snaptime, Date.UTC(2026, 10, 24, 12, 0, 0) / 1000);
  const time = async (/** @type {string} */ node) => (await (await fetch(`${url}/api2/json/nodes/${node}/time`, { headers: { Authorization: 'PVEAPIToken=root@pam!cli=TOPSECRET' } })).json()).data.time;
  const skew = (await time('pve2')) - (await time('pve1'));
  assert.ok(skew >= 3599 && skew <= 3610, String(skew));
  const denied = await fetch(`${url}/api2/json/version`, { headers: { Authorization: 'PVEAPIToken=root@pam!panel=SECRET' } });
  assert.equal(denied.status, 401);
  await denied.arrayBuffer();
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('a bad flag value is a clear error with exit code 2', () => {
  try {
    execFileSync(process.execPath, [CLI, '--port', '0', '--latency', 'soon'], { encoding: 'utf8', stdio: 'pipe' });
    assert.fail('should have exited with an error');
  } catch (thrown) {
    const err = /** @type {{status: number, stderr: string}} */ (thrown);
    assert.equal(err.status, 2);
    assert.match(err.stderr, /--latency needs a number, got 'soon'/);
  }
});

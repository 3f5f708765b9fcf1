// Test support: a throwaway PostgreSQL cluster (Debian's binaries, initdb and
// pg_ctl) in a temporary directory, on a random loopback port, run as the
// unprivileged `postgres` user when the tests run as root. Each test asks for
// its own database, owned by a non-superuser role with a password (what the
// README tells operators to give the panel).
import { execFile } from 'node:child_process';
import { chownSync, existsSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin directory. */
export function pgBinDir() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (!versions.length) throw new Error('PostgreSQL is not installed: run scripts/setup.sh');
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0], 'bin');
}

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {{port: number, password: string, urlFor(db: string): string, createDatabase(name?: string): Promise<string>,
 *   stop(): Promise<void>, start(): Promise<void>, close(): Promise<void>}} PgCluster
 */

/**
 * Starts a cluster; `close()` stops it and removes its directory.
 * @returns {Promise<PgCluster>}
 */
export async function startPgCluster() {
  const bin = pgBinDir();
  const root = mkdtempSync(join(tmpdir(), 'pve-pg-'));
  const data = join(root, 'data');
  const sock = root;
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  /** @param {string} cmd @param {string[]} args */
  const as = (cmd, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args));
  const superPw = randomBytes(12).toString('hex');
  const pwfile = join(root, 'pw');
  writeFileSync(pwfile, superPw, { mode: 0o600 });
  if (asRoot) execFileSync('chown', ['postgres', pwfile]);
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const logFile = join(root, 'log');
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${sock} -c fsync=off -c max_connections=200`;
  const start = async () => { await as('pg_ctl', ['-D', data, '-l', logFile, '-o', opts, '-w', '-t', '30', 'start']); };
  const stop = async () => { await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']); };
  await start();
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const admin = async (/** @type {string[]} */ statements) => {
    const c = new pg.Client({ host: sock, port, user: 'postgres', database: 'postgres' });
    await c.connect();
    try { for (const s of statements) await c.query(s); } finally { await c.end(); }
  };
  await admin([`CREATE ROLE panel LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`]);
  let n = 0;
  /** @param {string} db */
  const urlFor = (db) => `postgres://panel:${password}@127.0.0.1:${port}/${db}`;
  let running = true;
  return {
    port,
    password,
    urlFor,
    async createDatabase(name = `t${++n}_${randomBytes(4).toString('hex')}`) {
      await admin([`CREATE DATABASE ${name} OWNER panel`]);
      return urlFor(name);
    },
    async stop() { await stop(); running = false; },
    async start() { await start(); running = true; },
    async close() {
      if (running) await stop().catch(() => {});
      running = false;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

// Test support for the WHMCS module (not a test file itself): runs one module
// function with Debian's php CLI through integrations/whmcs/tests/call.php,
// which stubs the WHMCS functions the module calls.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WHMCS_DIR = fileURLToPath(new URL('../../integrations/whmcs/', import.meta.url));
const CALL = join(WHMCS_DIR, 'tests', 'call.php');

/**
 * @typedef {{module: string, action: string, request: unknown, response: unknown, data: unknown,
 *   replaceVars: string[], stored: string[]}} LogEntry
 * @typedef {{result: any, log: LogEntry[], queries: any[]}} PhpCall
 */

/**
 * @param {string[]} args
 * @param {string} [stdin]
 * @returns {Promise<{code: number | null, stdout: string, stderr: string}>}
 */
export function php(args, stdin = '') {
  return new Promise((resolve, reject) => {
    const child = spawn('php', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/**
 * Calls `pvesnapshots_<fn>` (or the mapping's `serviceBody`) as WHMCS would.
 * @param {string} fn
 * @param {{params?: object, rows?: object[], properties?: object, request?: object}} [input]
 * @returns {Promise<PhpCall>}
 */
export async function callModule(fn, input = {}) {
  const { code, stdout, stderr } = await php([CALL], JSON.stringify({ function: fn, ...input }));
  if (code !== 0) throw new Error(`php ${fn} exited ${code}: ${stderr}${stdout}`);
  if (stderr.trim() !== '') throw new Error(`php ${fn} wrote to stderr: ${stderr}`);
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`php ${fn} printed no JSON: ${stdout}`);
  }
}

/**
 * Every .php file of the integration.
 * @param {string} [dir]
 * @returns {Promise<string[]>}
 */
export async function phpFiles(dir = WHMCS_DIR) {
  /** @type {string[]} */
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await phpFiles(path));
    else if (entry.name.endsWith('.php')) out.push(path);
  }
  return out.sort();
}

/**
 * The server record and service WHMCS would pass for a service.
 * @param {{url: string, key: string, serviceid?: string | number, userid?: string | number, vmid?: number | string,
 *   options?: Partial<Record<'configoption1'|'configoption2'|'configoption3'|'configoption4'|'configoption5', string>>,
 *   extra?: object}} o
 */
export function whmcsParams({ url, key, serviceid = 501, userid = 77, vmid, options = {}, extra = {} }) {
  const u = new URL(url);
  return {
    serviceid, userid, pid: 4, serverid: 1, domain: 'vps501.example.net', producttype: 'server', moduletype: 'pvesnapshots',
    serverhostname: u.hostname + (u.pathname === '/' ? '' : u.pathname), serverip: '', serverport: u.port,
    serversecure: u.protocol === 'https:', serverhttpprefix: u.protocol.slice(0, -1), serverusername: '',
    serverpassword: '', serveraccesshash: key,
    configoption1: '3', configoption2: '3', configoption3: '', configoption4: '', configoption5: 'vmid', ...options,
    customfields: vmid === undefined ? {} : { 'vmid|VM ID': String(vmid) },
    clientsdetails: { id: userid, firstname: 'Carol', lastname: 'Customer', email: 'carol@example.net' },
    ...extra,
  };
}

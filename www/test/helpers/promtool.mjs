// `promtool check metrics` (Debian's prometheus package, installed by
// scripts/setup.sh --test): the reference check of an exposition, lint
// rules included. A missing promtool fails the test that needs it.
import { spawn } from 'node:child_process';

/**
 * Runs `promtool ARGS` with `stdin` as its input.
 * @param {string[]} args @param {string} [stdin]
 * @returns {Promise<{code: number|null, output: string}>} exit code and everything promtool printed
 */
export function promtool(args, stdin = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PROMTOOL ?? 'promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { output += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { output += c; });
    child.on('error', (err) => {
      reject(/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT'
        ? new Error('promtool is not installed: run scripts/setup.sh --test (Debian package prometheus)')
        : err);
    });
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.on('error', () => {}); // promtool may exit before reading everything; its exit code tells
    child.stdin.end(stdin);
  });
}

/**
 * `promtool check metrics` on an exposition.
 * @param {string} text
 */
export const promtoolCheck = (text) => promtool(['check', 'metrics'], text);

/**
 * The samples of an exposition as `name{labels}` → value (labels as written).
 * @param {string} text
 * @returns {Map<string, number>}
 */
export function parseSamples(text) {
  /** @type {Map<string, number>} */
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    const raw = line.slice(cut + 1);
    samples.set(line.slice(0, cut), raw === '+Inf' ? Infinity : Number(raw));
  }
  return samples;
}

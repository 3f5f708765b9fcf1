// What the figures were measured on: they mean nothing without it.

import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/**
 * Output of a command, or a note that it is unavailable (a missing tool must
 * not stop the bench).
 * @param {string} cmd
 * @param {string[]} args
 * @returns {string}
 */
export function tryCommand(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0];
  } catch {
    return `(${cmd} unavailable)`;
  }
}

/**
 * @returns {{date: string, nproc: number, cpu: string, memGiB: string, node: string, rustc: string, chromium: string, os: string}}
 */
export function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1];
  } catch { /* not Linux: os.cpus() is the fallback */ }
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    rustc: tryCommand('rustc', ['--version']),
    chromium: tryCommand('/usr/bin/chromium', ['--version']),
    os: `${os.type()} ${os.release()}`,
  };
}

/**
 * Prints the machine block that heads every bench output.
 */
export function printMachine() {
  const m = machine();
  process.stdout.write(
    `machine: ${m.nproc} cpu (${m.cpu}), ${m.memGiB} GiB, ${m.os}\n` +
      `versions: node ${m.node}, ${m.rustc}, ${m.chromium}\n` +
      `date: ${m.date}\n\n`,
  );
}

#!/usr/bin/env node
// Admin tool: prints a `passwordHash` for the config's `customers` list.
// Usage: node www/server/hash-password.mjs            (prompts on stdin, no echo)
//        printf '%s' "$PW" | node www/server/hash-password.mjs
// The password is never taken from argv: argv is visible in `ps` and shell history.
import { hashPassword } from './passwords.mjs';

/** @returns {Promise<string>} */
async function readPassword() {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) {
    const chunks = [];
    for await (const chunk of stdin) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  stderr.write('Password: ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  let password = '';
  return new Promise((resolve, reject) => {
    stdin.on('data', (/** @type {string} */ chars) => {
      for (const ch of chars) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stderr.write('\n');
          resolve(password);
          return;
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          reject(Object.assign(new Error('cancelled'), { code: 'CANCELLED' }));
          return;
        }
        if (ch === '\u007f') password = password.slice(0, -1);
        else password += ch;
      }
    });
  });
}

if (process.argv.length > 2) {
  process.stderr.write('usage: node www/server/hash-password.mjs  (reads the password from stdin)\n');
  process.exit(2);
}
try {
  const password = await readPassword();
  process.stdout.write(`${await hashPassword(password)}\n`);
} catch (err) {
  process.stderr.write(`hash-password: ${/** @type {Error} */ (err).message}\n`);
  process.exit(1);
}

#!/usr/bin/env node
// Prints a new host API key and the entry for the config's hostApi.keys:
// `node www/server/host-key.mjs [NAME]`. Only the key's SHA-256 goes into
// the config, so a leaked config file does not leak the key.
import { createHash, randomBytes } from 'node:crypto';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A key (32 random bytes, base64url) and its config entry.
 * @param {string} name
 * @returns {{key: string, entry: {name: string, sha256: string}}}
 */
export function newHostKey(name) {
  if (!KEY_NAME.test(name)) throw new Error('the key name must be 1 to 64 letters, digits, ".", "_" or "-"');
  const key = `pvesnap_${randomBytes(32).toString('base64url')}`;
  return { key, entry: { name, sha256: hostKeyHash(key) } };
}

/**
 * The hex SHA-256 of the key's text exactly as it is sent.
 * @param {string} key
 */
export function hostKeyHash(key) {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const name = process.argv[2] ?? 'whmcs';
  try {
    const { key, entry } = newHostKey(name);
    process.stdout.write(`key (give it to the host panel; it is not stored here and is shown only now):\n  ${key}\n`
      + `entry for "hostApi": {"keys": [...]} in the config:\n  ${JSON.stringify(entry)}\n`);
  } catch (err) {
    process.stderr.write(`host-key: ${/** @type {Error} */ (err).message}\nusage: node www/server/host-key.mjs [NAME]\n`);
    process.exit(2);
  }
}

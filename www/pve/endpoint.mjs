// What a Proxmox API token id and a plain-http host may be. The client
// enforces both; the config loader reports the same problems earlier, with
// the config's paths, so both import them from here.
import { isIPv4 } from 'node:net';

/**
 * An API token id, USER@REALM!TOKENID, as Proxmox's split_tokenid reads it
 * (pve-access-control: user `[^\s:/]+`, realm and token name
 * `[A-Za-z][A-Za-z0-9.\-_]+`). The user part may itself hold "@" (OpenID
 * users named by e-mail address are `jane@example.com@oidc`). It is further
 * kept to printable ASCII without ";" and "%": the id travels in the
 * Authorization header, which Proxmox cuts at ";" and percent-decodes, so an
 * id with those could never sign in as written.
 */
export const TOKEN_ID_PATTERN = /^[\x21-\x24\x26-\x2e\x30-\x39\x3c-\x7e]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$/;

/**
 * @param {unknown} value
 * @returns {value is string}
 */
export function isTokenId(value) {
  return typeof value === 'string' && TOKEN_ID_PATTERN.test(value);
}

/**
 * True for a host that is this machine: `localhost`, `::1` (with or without
 * the brackets of a URL's hostname) or any 127.0.0.0/8 address. Plain http
 * is allowed only to these, so the token never crosses a network in clear.
 * @param {string} host  a URL's `hostname`
 * @returns {boolean}
 */
export function isLoopbackHost(host) {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIPv4(h) && h.startsWith('127.'));
}

// HTTPS agents that decide themselves whether to trust a Proxmox host:
// trusted CA + matching hostname, or a pinned certificate fingerprint, or
// (explicitly) nothing. Proxmox hosts normally run self-signed certificates.
//
// Why not `checkServerIdentity`: Node only calls it after the chain verified,
// so it never sees a self-signed certificate; and with `rejectUnauthorized:
// false` the request (carrying the token) would be written before any check.
// Instead the agent hands the socket to the HTTP layer only after our check,
// so not a byte (and not the Authorization header) reaches an unverified peer.
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { PveError } from './errors.mjs';

/** OpenSSL's verify codes, in words an administrator recognises. */
/** @type {Record<string, string>} */
const CHAIN_ERRORS = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'issuer not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer not trusted',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_REVOKED: 'certificate revoked',
};

/**
 * @typedef {object} TlsTrust
 * @property {string|null} ca        PEM CA bundle to trust instead of the system store
 * @property {string|null} pin       normalised SHA-256 fingerprint "AA:BB:…", or null
 * @property {boolean} insecure      accept any certificate
 */

/**
 * Normalises a SHA-256 fingerprint: case-insensitive, with or without colons.
 * @param {unknown} text
 * @returns {string|null} "AA:BB:…" (32 bytes), or null when it is not one
 */
export function normaliseFingerprint(text) {
  if (typeof text !== 'string') return null;
  const hex = text.trim().replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return hex.match(/../g)?.join(':') ?? null;
}

/**
 * Creates an agent whose sockets are verified against `trust` before use.
 * @param {TlsTrust} trust
 * @param {{keepAlive: boolean, handshakeTimeoutMs: number}} options
 * @returns {https.Agent}
 */
export function createVerifyingAgent(trust, { keepAlive, handshakeTimeoutMs }) {
  return new VerifyingAgent(trust, { keepAlive, handshakeTimeoutMs });
}

class VerifyingAgent extends https.Agent {
  /** @type {TlsTrust} */ #trust;
  /** @type {number} */ #handshakeTimeoutMs;
  /** Sockets still in their handshake: the base agent does not know them yet. */
  /** @type {Set<tls.TLSSocket>} */ #pending = new Set();

  /**
   * @param {TlsTrust} trust
   * @param {{keepAlive: boolean, handshakeTimeoutMs: number}} options
   */
  constructor(trust, { keepAlive, handshakeTimeoutMs }) {
    // No session cache: a resumed session skips the certificate exchange.
    super({ keepAlive, maxCachedSessions: 0, scheduling: 'lifo' });
    this.#trust = trust;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
  }

  /**
   * @param {{host: string, port: number, servername?: string}} options from the base agent, which always sets host and port
   * @param {(err: Error|null, socket?: import('node:stream').Duplex) => void} oncreate
   * @returns {undefined} the socket is handed over through `oncreate`
   */
  createConnection(options, oncreate) {
    const host = options.host;
    const servername = net.isIP(host) ? undefined : (options.servername || host);
    const socket = tls.connect({
      host, port: options.port, servername,
      ca: this.#trust.ca ?? undefined,
      rejectUnauthorized: false, // decided in #verify, before the socket is used
      ALPNProtocols: ['http/1.1'],
    });
    this.#pending.add(socket);
    let settled = false;
    /** @param {Error|null} err */
    const settle = (err) => {
      if (settled) return;
      settled = true;
      this.#pending.delete(socket);
      socket.setTimeout(0);
      socket.removeListener('error', settle);
      if (err) {
        socket.destroy();
        oncreate(err);
      } else {
        oncreate(null, socket);
      }
    };
    socket.once('error', settle);
    socket.setTimeout(this.#handshakeTimeoutMs, () => {
      const err = /** @type {NodeJS.ErrnoException} */ (new Error(`TLS handshake with ${host}:${options.port} did not finish`));
      err.code = 'ETIMEDOUT';
      settle(err);
    });
    socket.once('secureConnect', () => settle(this.#verify(socket, host)));
    return undefined;
  }

  /**
   * @param {tls.TLSSocket} socket
   * @param {string} host
   * @returns {PveError|null}
   */
  #verify(socket, host) {
    const cert = socket.getPeerCertificate();
    const actual = cert && cert.fingerprint256 ? normaliseFingerprint(cert.fingerprint256) : null;
    const origin = `${host}:${socket.remotePort}`;
    // A pin is an explicit statement of trust: it holds even with `insecure`.
    if (this.#trust.insecure && !this.#trust.pin) return null;
    if (!actual) {
      return new PveError('PVE_TLS', `TLS: ${origin} presented no certificate`, { details: { reason: 'no-certificate' } });
    }
    if (this.#trust.pin) {
      // With a pin the fingerprint alone decides, as Proxmox's own tools do for
      // self-signed certificates: CA and hostname do not matter then.
      if (actual === this.#trust.pin) return null;
      return new PveError('PVE_TLS',
        `TLS: certificate fingerprint mismatch for ${origin}: the server presented SHA-256 ${actual}, ` +
        `but the pinned fingerprint is ${this.#trust.pin}`,
        { details: { reason: 'pin-mismatch', fingerprint: actual, expected: this.#trust.pin } });
    }
    // Node already ran the chain check and (when that passed) the hostname check.
    const code = socket.authorized ? null : String(socket.authorizationError ?? 'UNKNOWN');
    const hostnameError = code === null || code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? tls.checkServerIdentity(host, /** @type {any} */ (cert)) : undefined;
    if (code === null && !hostnameError) return null;
    const reason = hostnameError ? 'hostname-mismatch' : 'untrusted';
    const why = hostnameError ? hostnameError.message : `${CHAIN_ERRORS[code ?? ''] ?? 'chain verification failed'}, ${code}`;
    return new PveError('PVE_TLS',
      `TLS: the certificate of ${origin} is not trusted (${why}); its SHA-256 fingerprint is ${actual}. ` +
      'Pin that fingerprint (after checking it on the host: pvenode cert info) or give the CA file',
      { details: { reason, fingerprint: actual, authorizationError: code ?? 'ERR_TLS_CERT_ALTNAME_INVALID' } });
  }

  /** Also drops sockets still in their handshake. */
  destroy() {
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
    super.destroy();
  }
}

// The Proxmox VE HTTP client: sends request descriptions built by the core
// over HTTP(S) with an API token and unwraps Proxmox's {data} envelope.
// It decides no rules; task outcomes are read by the core (see task-wait.mjs).
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { PveError, errorFromAnswer, errorFromFailure } from './errors.mjs';
import { encodeRequest } from './request-description.mjs';
import { createVerifyingAgent, normaliseFingerprint } from './tls-agent.mjs';
import { waitForTask } from './task-wait.mjs';
import { isLoopbackHost, isTokenId } from './endpoint.mjs';
import { sleep } from './abortable-sleep.mjs';

export { PveError } from './errors.mjs';

/** @typedef {import('./request-description.mjs').RequestDescription} RequestDescription */
/** @typedef {import('./task-wait.mjs').TaskResult} TaskResult */
/** @typedef {import('./task-wait.mjs').WaitOptions} WaitOptions */

/**
 * @typedef {object} PveClientOptions
 * @property {string} url                 base URL, e.g. https://pve1.example.net:8006
 * @property {string} tokenId             USER@REALM!TOKENID
 * @property {string} tokenSecret         the token's secret (never logged, never in errors)
 * @property {string|null} [caFile]       PEM file of a CA to trust
 * @property {string|null} [ca]           PEM text of a CA to trust
 * @property {string|null} [fingerprint]  SHA-256 of the server certificate to pin ("AA:BB:…" or plain hex)
 * @property {boolean} [insecure]         accept any certificate unless pinned (and plain HTTP to non-loopback hosts)
 * @property {number} [timeoutMs]         per request attempt, 15000 by default
 * @property {number} [retries]           extra attempts for idempotent GETs, 2 by default
 */

/**
 * @typedef {object} RequestOptions
 * @property {number} [timeoutMs]   overrides the client's per-attempt timeout
 * @property {number} [retries]     overrides the client's retry count (GET only)
 * @property {AbortSignal} [signal] aborts the request (rejects with the signal's reason)
 */

/**
 * @typedef {object} PveClient
 * @property {(desc: RequestDescription, options?: RequestOptions) => Promise<any>} request
 *   sends a request description; resolves with the unwrapped `data`
 * @property {(upid: string, options?: WaitOptions) => Promise<TaskResult>} waitForTask
 *   polls the task until it stops or the wait ends
 * @property {() => void} close  releases keep-alive sockets
 */

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 2000;
// A fresh UPID can be polled before its log file exists on the node.
const TASK_STATUS_PATH = /^\/nodes\/[^/]+\/tasks\/[^/]+\/status$/;

/**
 * @param {string} message
 * @param {string} [field]
 */
function badConfig(message, field) {
  return new PveError('INVALID_CONFIG', `Proxmox client configuration: ${message}`, { details: field ? { field } : undefined });
}

/**
 * Creates a client. Throws PveError INVALID_CONFIG on a bad option (the
 * message never contains the secret).
 * @param {PveClientOptions} options
 * @returns {PveClient}
 */
export function createPveClient(options) {
  if (options === null || typeof options !== 'object') throw badConfig('options must be an object');
  const { url, tokenId, tokenSecret, caFile = null, ca = null, fingerprint = null, insecure = false,
    timeoutMs = 15000, retries = 2 } = options;

  /** @type {URL} */
  let base;
  try {
    base = new URL(String(url));
  } catch {
    throw badConfig('url is not a valid URL', 'url');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw badConfig('url must be http: or https:', 'url');
  if (base.username || base.password) throw badConfig('url must not carry credentials', 'url');
  if (base.search || base.hash) throw badConfig('url must not have a query or fragment', 'url');
  const prefix = base.pathname.replace(/\/+$/, '');
  const origin = base.origin;

  if (!isTokenId(tokenId)) {
    throw badConfig('tokenId must look like USER@REALM!TOKENID', 'tokenId');
  }
  if (typeof tokenSecret !== 'string' || !/^[\x21-\x7e]+$/.test(tokenSecret)) {
    throw badConfig('tokenSecret must be a non-empty string of printable ASCII without spaces', 'tokenSecret');
  }
  if (typeof insecure !== 'boolean') throw badConfig('insecure must be true or false', 'insecure');
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw badConfig('timeoutMs must be a positive integer', 'timeoutMs');
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw badConfig('retries must be an integer 0..10', 'retries');

  let pin = null;
  if (fingerprint !== null && fingerprint !== undefined && fingerprint !== '') {
    pin = normaliseFingerprint(fingerprint);
    if (!pin) throw badConfig('fingerprint must be a SHA-256 fingerprint (64 hex digits, colons optional)', 'fingerprint');
  }
  let caPem = null;
  if (ca !== null && ca !== undefined && ca !== '') {
    if (typeof ca !== 'string' || !ca.includes('-----BEGIN CERTIFICATE-----')) throw badConfig('ca must be PEM text', 'ca');
    caPem = ca;
  }
  if (caFile !== null && caFile !== undefined && caFile !== '') {
    let text;
    try {
      text = readFileSync(String(caFile), 'utf8');
    } catch (e) {
      throw badConfig(`caFile ${JSON.stringify(String(caFile))} cannot be read (${/** @type {any} */ (e)?.code ?? 'error'})`, 'caFile');
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw badConfig(`caFile ${JSON.stringify(String(caFile))} holds no PEM certificate`, 'caFile');
    caPem = caPem ? `${caPem}\n${text}` : text;
  }

  const secure = base.protocol === 'https:';
  if (!secure && (pin || caPem)) throw badConfig('fingerprint/ca/caFile need an https: url', 'url');
  // The token would cross the network in clear text.
  if (!secure && !insecure && !isLoopbackHost(base.hostname)) {
    throw badConfig('plain http: is only allowed to a loopback host (set insecure to override)', 'url');
  }

  // The secret lives only in this closure: not on the client object, so it
  // cannot show up in util.inspect(client) or JSON.stringify(client).
  const authorization = `PVEAPIToken=${tokenId}=${tokenSecret}`;

  // Writes get a connection of their own (no keep-alive): a reused socket the
  // server just closed would fail them in a way that cannot be retried safely.
  /** @type {http.Agent} */
  let readAgent;
  /** @type {http.Agent} */
  let writeAgent;
  if (secure) {
    const trust = { ca: caPem, pin, insecure };
    readAgent = createVerifyingAgent(trust, { keepAlive: true, handshakeTimeoutMs: timeoutMs });
    writeAgent = createVerifyingAgent(trust, { keepAlive: false, handshakeTimeoutMs: timeoutMs });
  } else {
    readAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
    writeAgent = new http.Agent({ keepAlive: false });
  }

  /**
   * One HTTP exchange, no retries.
   * @param {ReturnType<typeof encodeRequest>} wire
   * @param {number} attemptTimeoutMs
   * @param {AbortSignal|undefined} signal
   * @returns {Promise<any>}
   */
  function exchange(wire, attemptTimeoutMs, signal) {
    const { method, path, query, body } = wire;
    const idempotent = method === 'GET';
    const target = new URL(`${prefix}/api2/json${path}${query}`, origin);
    /** @type {Record<string, string|number>} */
    const headers = { Authorization: authorization, Accept: 'application/json' };
    if (body !== null) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      // Already aborted: send nothing (a request destroyed before its error
      // listener exists would crash the process with an unhandled 'error').
      if (signal?.aborted) { reject(signal.reason ?? new Error('aborted')); return; }
      let done = false;
      /** @param {Error|null} err @param {any} [value] */
      const finish = (err, value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err !== null) reject(err); else resolve(value);
      };
      const fail = (/** @type {any} */ error) => finish(wrapFailure(error, method, path, idempotent));
      const req = (secure ? https : http).request(target, {
        method, headers, agent: idempotent ? readAgent : writeAgent,
      });
      req.on('error', fail);
      const timer = setTimeout(() => {
        const err = new PveError('PVE_TIMEOUT', `${method} ${path}: no complete answer from ${origin} within ${attemptTimeoutMs} ms`,
          { retryable: idempotent, details: { timeoutMs: attemptTimeoutMs } });
        finish(err);
        req.destroy(err);
      }, attemptTimeoutMs);
      const onAbort = () => {
        finish(signal?.reason ?? new Error('aborted'));
        req.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('response', (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        let size = 0;
        res.on('data', (chunk) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            finish(new PveError('PVE_SERVER', `${method} ${path}: answer larger than ${MAX_ANSWER_BYTES} bytes`, { status: res.statusCode ?? null }));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          if (!res.complete) {
            fail(Object.assign(new Error('connection closed in the middle of the answer'), { code: 'ECONNRESET' }));
            return;
          }
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = null;
          let bodyIsJson = false;
          if (text.trim() !== '') {
            try {
              parsed = JSON.parse(text);
              bodyIsJson = true;
            } catch { /* not JSON: classified below */ }
          }
          const isEnvelope = bodyIsJson && parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
          if (status >= 200 && status < 300 && isEnvelope) {
            finish(null, parsed.data === undefined ? null : parsed.data);
            return;
          }
          const bodyKind = isEnvelope ? 'json' : text.trim() === '' ? 'empty' : 'other';
          const error = errorFromAnswer({ method, path, status, reason: res.statusMessage ?? '', body: parsed, bodyKind, idempotent });
          if (idempotent && TASK_STATUS_PATH.test(path) && isTaskNotYetVisible(error)) error.retryable = true;
          finish(error);
        });
      });
      req.end(body ?? undefined);
    });
  }

  /**
   * @param {any} error
   * @param {string} method
   * @param {string} path
   * @param {boolean} idempotent
   * @returns {PveError}
   */
  function wrapFailure(error, method, path, idempotent) {
    if (error instanceof PveError) {
      if (error.code !== 'PVE_TLS' || !error.message.startsWith('TLS: ')) return error;
      // The agent does not know which request the socket was for.
      return new PveError('PVE_TLS', `${method} ${path}: ${error.message}`, { details: error.details });
    }
    return errorFromFailure({ method, path, origin, error, idempotent });
  }

  /** @type {PveClient['request']} */
  async function request(desc, requestOptions) {
    const wire = encodeRequest(desc);
    const attemptTimeoutMs = requestOptions?.timeoutMs ?? timeoutMs;
    const requestRetries = requestOptions?.retries ?? retries;
    const signal = requestOptions?.signal;
    if (typeof attemptTimeoutMs !== 'number' || !(attemptTimeoutMs > 0) || !Number.isFinite(attemptTimeoutMs)) {
      throw new PveError('INVALID_REQUEST', 'request option timeoutMs must be a positive number', { details: { field: 'timeoutMs' } });
    }
    if (!Number.isInteger(requestRetries) || requestRetries < 0 || requestRetries > 10) {
      throw new PveError('INVALID_REQUEST', 'request option retries must be an integer 0..10', { details: { field: 'retries' } });
    }
    const maxRetries = wire.method === 'GET' ? requestRetries : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await exchange(wire, attemptTimeoutMs, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const retryable = error instanceof PveError && error.retryable;
        if (!retryable || attempt >= maxRetries) throw error;
        // Jitter: clients polling the same host do not retry in step.
        const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
        await sleep(Math.round(ceiling / 2 + Math.random() * ceiling / 2), signal);
        // An abort rejects the same way whether it came mid-request or mid-backoff.
        if (signal?.aborted) throw signal.reason;
      }
    }
  }

  return {
    request,
    waitForTask: (upid, waitOptions) => waitForTask(request, upid, { defaultTimeoutMs: timeoutMs }, waitOptions),
    close() {
      readAgent.destroy();
      writeAgent.destroy();
    },
  };
}

/**
 * @param {PveError} error
 * @returns {boolean}
 */
function isTaskNotYetVisible(error) {
  if (error.status !== 400) return false;
  const texts = [error.pveMessage ?? '', ...Object.values(error.errors ?? {})].join(' ');
  return /no such task/i.test(texts);
}

// Types of www/pve/client.mjs (TypeScript pairs client.mjs with client.d.mts). Kept by hand next
// to the JSDoc in the .mjs files; change both together.

export type PveErrorCode =
  | 'INVALID_REQUEST'      // the request description (or a waitForTask option) is malformed; nothing was sent
  | 'INVALID_CONFIG'       // createPveClient options are wrong
  | 'PVE_PARAMETER'        // HTTP 400 with Proxmox's per-parameter `errors`
  | 'PVE_BAD_REQUEST'      // HTTP 400 without per-parameter errors
  | 'PVE_AUTH'             // HTTP 401: token id or secret wrong, token expired
  | 'PVE_FORBIDDEN'        // HTTP 403: the token lacks a privilege
  | 'PVE_NOT_IMPLEMENTED'  // HTTP 501: unknown path/method, or a body on GET/DELETE
  | 'PVE_SERVER'           // other 5xx, a 4xx Proxmox never sends, or an answer that is not its JSON envelope
  | 'PVE_TIMEOUT'          // no complete answer within timeoutMs
  | 'PVE_NETWORK'          // connection refused, reset, DNS failure
  | 'PVE_TLS';             // certificate not trusted, hostname mismatch or pin mismatch

export class PveError extends Error {
  name: 'PveError';
  code: PveErrorCode;
  /** HTTP status, or null when there was no HTTP answer. */
  status: number | null;
  /** Proxmox's own text (JSON `message`, else the HTTP reason phrase), trimmed. */
  pveMessage: string | null;
  /** Per-parameter errors of a 400, values trimmed. */
  errors: Record<string, string> | null;
  /** True only when sending the same request again is safe (GET) and may succeed. */
  retryable: boolean;
  /** e.g. `{reason: 'pin-mismatch', fingerprint, expected}` for PVE_TLS, `{field}` for INVALID_*. */
  details?: Record<string, unknown>;
  constructor(code: PveErrorCode, message: string, info?: {
    status?: number | null; pveMessage?: string | null; errors?: Record<string, string> | null;
    retryable?: boolean; details?: Record<string, unknown>; cause?: unknown;
  });
}

export type PveMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * What the core's plan and request functions return; `name` and any other extra field are ignored.
 * No index signature: the core's own interface has none, and TypeScript would then refuse it here.
 */
export interface RequestDescription {
  method: PveMethod;
  /** Relative to /api2/json, starting with "/", every segment already percent-encoded. */
  path: string;
  /** Flat; booleans are sent as 1/0; undefined and null are left out. */
  params?: Record<string, string | number | boolean | null | undefined> | null;
  /** The snapshot a plan acts on (planCreate, planRollback, planRemove); not sent. */
  name?: string;
}

export interface PveClientOptions {
  /** e.g. https://pve1.example.net:8006; plain http only to loopback unless `insecure`. */
  url: string;
  /** USER@REALM!TOKENID */
  tokenId: string;
  /** Never logged, never part of an error, not stored on the client object. */
  tokenSecret: string;
  /** PEM file of a CA to trust (instead of the system store). */
  caFile?: string | null;
  /** PEM text of a CA to trust. */
  ca?: string | null;
  /** SHA-256 fingerprint of the server certificate; with a pin, CA and hostname do not matter. */
  fingerprint?: string | null;
  /** Accept any certificate (a pin, if also set, still holds). Never the default. */
  insecure?: boolean;
  /** Per attempt; default 15000. */
  timeoutMs?: number;
  /** Extra attempts for GETs on network errors, timeouts and 5xx; default 2. Writes are never retried. */
  retries?: number;
}

export interface RequestOptions {
  timeoutMs?: number;
  retries?: number;
  /** Rejects the request with the signal's reason. */
  signal?: AbortSignal;
}

export interface TaskProgress {
  elapsedMs: number;
  /** Proxmox's `data` of GET /nodes/{node}/tasks/{upid}/status. */
  status: { status: 'running' | 'stopped'; exitstatus?: string; [key: string]: unknown };
}

export interface WaitOptions {
  /** Total wait; default 120000. */
  timeoutMs?: number;
  /** First poll interval, growing ×1.5 up to 2 s; default 250. */
  intervalMs?: number;
  onProgress?: (progress: TaskProgress) => void;
  /** Ends the wait early: the result says `running` with `aborted: true`. */
  signal?: AbortSignal;
}

export interface TaskResult {
  /** `running` when the wait ended first; a timeout is never `failed`. */
  state: 'ok' | 'failed' | 'running';
  upid: string;
  warnings: number;
  /** Proxmox's exit status text of a failed task. */
  message: string | null;
  /** The lock named in "VM is locked (backup)" when that is why the task failed. */
  lock: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** The last transient error while polling (a `running` result may come from an unreachable host). */
  lastError: PveError | null;
}

export interface PveClient {
  /** Sends the description; resolves with the unwrapped `data` of Proxmox's answer. */
  request(desc: RequestDescription, options?: RequestOptions): Promise<any>;
  /** Polls the node named in the UPID until the task stops or the wait ends. */
  waitForTask(upid: string, options?: WaitOptions): Promise<TaskResult>;
  /** Releases keep-alive sockets (the client stays usable). */
  close(): void;
}

export function createPveClient(options: PveClientOptions): PveClient;

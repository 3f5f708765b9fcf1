/* tslint:disable */
/* eslint-disable */

/** What every function throws: an `Error` named "SnapshotError". */
export interface SnapshotError extends Error {
    name: "SnapshotError";
    code: ErrorCode;
    details: Details | null;
}


/**
 * A product policy as the administrator writes it. Unknown fields are
 * ignored so a host can keep its own settings beside ours.
 */
export interface PolicyInput {
    /**
     * 0 disables snapshots; at most 100.
     */
    maxSnapshots: number;
    /**
     * 1 to 10.
     */
    lifetimeDays: number;
    /**
     * Default true.
     */
    includeRam?: boolean | null;
    /**
     * Default "snap": a letter, then letters, digits, "_" or "-"; at most 20 characters.
     */
    namePrefix?: string | null;
    /**
     * Default false; true for ZFS-like storage that only rolls back to the newest snapshot.
     */
    rollbackLatestOnly?: boolean | null;
}

/**
 * A refusal in the short form the page shows next to a disabled control.
 */
export interface Blocked {
    code: ErrorCode;
    message: string;
}

/**
 * A validated policy with every default filled in.
 */
export interface Policy {
    /**
     * How many managed snapshots a VM may have; 0 disables snapshots.
     */
    maxSnapshots: number;
    /**
     * Lifetime of a snapshot, 1 to 10 days. Applies to existing snapshots
     * too: lowering it shortens every countdown.
     */
    lifetimeDays: number;
    /**
     * Whether snapshots of a running QEMU VM include its memory.
     */
    includeRam: boolean;
    /**
     * The start of every generated name; it identifies managed snapshots,
     * so changing it turns existing snapshots foreign (read-only, kept).
     */
    namePrefix: string;
    /**
     * True for storage (ZFS, volume chains) that can only roll back to the
     * newest snapshot.
     */
    rollbackLatestOnly: boolean;
}

/**
 * Every stable code an answer of the core, the panel's API or the
 * expiry job carries.
 */
export type ErrorCode = "QUOTA_EXCEEDED" | "VM_LOCKED" | "SNAPSHOT_BUSY" | "NOT_FOUND" | "NOT_MANAGED" | "ROLLBACK_NOT_LATEST" | "SNAPSHOTS_DISABLED" | "INVALID_NAME" | "INVALID_DESCRIPTION" | "INVALID_POLICY" | "INVALID_TARGET" | "INVALID_INPUT" | "UNAUTHENTICATED" | "INVALID_CREDENTIALS" | "CSRF_FAILED" | "METHOD_NOT_ALLOWED" | "TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "RATE_LIMITED" | "SERVICE_SUSPENDED" | "HOST_UNAUTHORIZED" | "SSO_INVALID" | "CONFLICT" | "INTERNAL" | "STORE_UNAVAILABLE" | "PVE_PARAMETER" | "PVE_BAD_REQUEST" | "PVE_AUTH" | "PVE_FORBIDDEN" | "PVE_NOT_IMPLEMENTED" | "PVE_SERVER" | "PVE_INVALID_RESPONSE" | "PVE_NETWORK" | "PVE_TLS" | "PVE_TIMEOUT";

/**
 * Extra facts about an error, for the host to show or act on.
 */
export type Details = { used: number; limit: number } | { lock: string } | { name: string; snapstate: string | null } | { name: string; latest: string } | { field: string };

/**
 * One entry of `GET …/snapshot`; other fields are ignored.
 */
export interface Snapshot {
    name: string;
    description?: string | null;
    /**
     * Creation time set by the server, epoch seconds; 0 when Proxmox did
     * not record one (then the age is unknown and it never expires).
     */
    snaptime?: number | string | null;
    /**
     * Whether the snapshot holds the VM's memory (`vmstate: 1`).
     */
    vmstate?: number | boolean | string | null;
    /**
     * `prepare` (being created or crashed) or `delete` (being deleted or
     * failed); the snapshot must not be touched while set.
     */
    snapstate?: string | null;
}

/**
 * One entry of the code list the hosts read (`errorCodes()`).
 */
export interface ErrorCodeInfo {
    code: ErrorCode;
    status: number;
    summary: string;
}

/**
 * Options of `planCreate`.
 */
export interface CreateOptions {
    /**
     * At most 8192 characters; newline and tab kept, CRLF becomes LF.
     */
    description?: string | null;
    /**
     * Default true; RAM is saved only when the policy allows it too.
     */
    includeRam?: boolean | null;
}

/**
 * Options of `planRollback`.
 */
export interface RollbackOptions {
    /**
     * Start the VM after the rollback; by default it is started when it
     * was running and the snapshot has no RAM.
     */
    start?: boolean | null;
}

/**
 * The `data` of `GET /nodes/{node}/tasks/{upid}/status`; other fields
 * are ignored.
 */
export interface TaskStatus {
    /**
     * `running` or `stopped`.
     */
    status: string;
    /**
     * `OK`, `WARNINGS: n`, or the error for a stopped task.
     */
    exitstatus?: string | null;
}

/**
 * The `data` of `GET …/status/current`; other fields are ignored.
 */
export interface VmStatus {
    /**
     * `running`, `stopped`, …
     */
    status: string;
    /**
     * The config lock (`backup`, `snapshot`, `migrate`, `suspended`, …), if any.
     */
    lock?: string | null;
    /**
     * 1 for a template.
     */
    template?: number | boolean | string | null;
}

/**
 * The snapshot list without the `current` pseudo-entry ("You are here!")
 * that always ends it; at most [`MAX_SNAPSHOTS_IN_LIST`] entries, names
 * unique.
 */
export type Snapshots = Snapshot[];

/**
 * Which guest: `type` is `"qemu"` when absent.
 */
export interface Target {
    node: string;
    vmid: number;
    type?: GuestType;
}

/**
 * `UPID:node:PID:PSTART:STARTTIME:type:id:user:` (pve-common `PVE::UPID`).
 */
export interface Upid {
    /**
     * The node that ran the task: poll this node, not the one you asked.
     */
    node: string;
    pid: number;
    pstart: number;
    /**
     * Task start, milliseconds since the epoch.
     */
    startedAt: number;
    type: string;
    id: string;
    user: string;
}

/**
 * `params` go in the query string for GET and DELETE and in an
 * `application/x-www-form-urlencoded` body for POST.
 */
export interface Request {
    method: Method;
    /**
     * Relative to `/api2/json`, already percent-encoded.
     */
    path: string;
    params: Record<string, string | number>;
    /**
     * The snapshot the request acts on, for the host's messages and re-checks.
     */
    name?: string;
}

export interface Expiry {
    /**
     * Oldest first. Send one at a time, wait for each task, and re-plan
     * with fresh data before the next.
     */
    deletes: Request[];
    /**
     * Expired snapshots that cannot be removed now, and why.
     */
    skipped: Skipped[];
}

export interface Limits {
    /**
     * Characters in a snapshot description.
     */
    descriptionChars: number;
    /**
     * Entries in a snapshot list from Proxmox.
     */
    snapshotsPerList: number;
    /**
     * Bytes in a listed (possibly foreign) snapshot name.
     */
    listedNameBytes: number;
    /**
     * Characters in a snapshot name Proxmox creates.
     */
    nameChars: number;
    /**
     * Characters in a policy's `namePrefix`.
     */
    namePrefixChars: number;
    /**
     * Bytes in a node name.
     */
    nodeNameBytes: number;
    /**
     * Bytes in a Proxmox task id.
     */
    upidBytes: number;
    /**
     * The largest `maxSnapshots` a policy may set.
     */
    maxSnapshots: number;
    lifetimeDaysMin: number;
    lifetimeDaysMax: number;
    vmidMin: number;
    vmidMax: number;
    /**
     * Nesting of objects and arrays in any argument.
     */
    depth: number;
}

export interface Page {
    quota: Quota;
    createBlocked: Blocked | null;
    vm: VmView;
    /**
     * Oldest first.
     */
    rows: Row[];
}

export interface Quota {
    used: number;
    limit: number;
    /**
     * `"2/3"`
     */
    label: string;
    canCreate: boolean;
}

export interface Remaining {
    /**
     * Whole seconds left, rounded up so the countdown reaches 0 exactly
     * when the snapshot expires; never negative.
     */
    seconds: number;
    expired: boolean;
    /**
     * `"2 days 23:59:54"`, or [`EXPIRED_LABEL`].
     */
    label: string;
}

export interface Row {
    name: string;
    description: string;
    /**
     * ms since the epoch; null when Proxmox recorded no creation time.
     */
    createdAt: number | null;
    /**
     * ms since the epoch; null for foreign snapshots (they never expire
     * here) and for those of unknown age.
     */
    expiresAt: number | null;
    remainingSeconds: number | null;
    /**
     * `"0 days 23:59:54"`, `"expired"`, or null when there is no countdown.
     */
    remainingLabel: string | null;
    expired: boolean;
    managed: boolean;
    ram: boolean;
    /**
     * Proxmox's `snapstate` (`prepare`, `delete`) while an operation is
     * unfinished, else null.
     */
    busy: string | null;
    canRollback: boolean;
    rollbackBlocked: Blocked | null;
    canRemove: boolean;
    removeBlocked: Blocked | null;
}

export interface Skipped {
    name: string;
    code: ErrorCode;
    message: string;
}

export interface TaskOutcome {
    state: TaskState;
    /**
     * `WARNINGS: n` still counts as success.
     */
    warnings: number;
    /**
     * Proxmox's error text for a failed task.
     */
    message: string | null;
    /**
     * The lock named in "VM is locked (backup)": the host can retry later.
     */
    lock: string | null;
}

export interface VmView {
    status: string;
    running: boolean;
    lock: string | null;
}

export type ErrorCodes = ErrorCodeInfo[];

export type GuestType = "qemu" | "lxc";

export type Method = "GET" | "POST" | "DELETE";

export type TaskState = "running" | "ok" | "failed";


export function clusterVmsRequest(): Request;

export function errorCodes(): ErrorCodes;

export function limits(): Limits;

export function listSnapshotsRequest(target: Target): Request;

export function nodeTimeRequest(node: string): Request;

export function normalizeDescription(description: string): string;

export function parseUpid(upid: string): Upid;

export function planCreate(target: Target, policy: PolicyInput, vmStatus: VmStatus, snapshots: Snapshots, options: CreateOptions | null | undefined, nowMs: number): Request;

export function planExpiry(target: Target, policy: PolicyInput, vmStatus: VmStatus, snapshots: Snapshots, nowMs: number): Expiry;

export function planRemove(target: Target, policy: PolicyInput, vmStatus: VmStatus, snapshots: Snapshots, name: string): Request;

export function planRollback(target: Target, policy: PolicyInput, vmStatus: VmStatus, snapshots: Snapshots, name: string, options?: RollbackOptions | null): Request;

export function remainingLifetime(policy: PolicyInput, snaptimeSeconds: number, nowMs: number): Remaining;

export function snapshotPage(policy: PolicyInput, vmStatus: VmStatus, snapshots: Snapshots, nowMs: number): Page;

export function taskOutcome(status: TaskStatus): TaskOutcome;

export function taskStatusRequest(upid: string): Request;

export function validatePolicy(policy: PolicyInput): Policy;

export function validateTarget(target: Target): Target;

export function vmStatusRequest(target: Target): Request;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly clusterVmsRequest: () => [number, number, number];
    readonly errorCodes: () => [number, number, number];
    readonly limits: () => [number, number, number];
    readonly listSnapshotsRequest: (a: any) => [number, number, number];
    readonly nodeTimeRequest: (a: any) => [number, number, number];
    readonly normalizeDescription: (a: any) => [number, number, number, number];
    readonly parseUpid: (a: any) => [number, number, number];
    readonly planCreate: (a: any, b: any, c: any, d: any, e: number, f: any) => [number, number, number];
    readonly planExpiry: (a: any, b: any, c: any, d: any, e: any) => [number, number, number];
    readonly planRemove: (a: any, b: any, c: any, d: any, e: any) => [number, number, number];
    readonly planRollback: (a: any, b: any, c: any, d: any, e: any, f: number) => [number, number, number];
    readonly remainingLifetime: (a: any, b: any, c: any) => [number, number, number];
    readonly snapshotPage: (a: any, b: any, c: any, d: any) => [number, number, number];
    readonly taskOutcome: (a: any) => [number, number, number];
    readonly taskStatusRequest: (a: any) => [number, number, number];
    readonly validatePolicy: (a: any) => [number, number, number];
    readonly validateTarget: (a: any) => [number, number, number];
    readonly vmStatusRequest: (a: any) => [number, number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;

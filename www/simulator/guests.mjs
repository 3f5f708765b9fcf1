// The cluster's guests and their snapshots: the simulator's whole state and
// the seed format that fills it. Proxmox-shaped answers are in guest-views.mjs.
import { readFile } from 'node:fs/promises';

const CONFIGID_RE = /^[a-z][a-z0-9_-]+$/i;
const NODE_RE = /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/;
const STORAGE_IDS = { lvmthin: 'local-lvm', zfs: 'local-zfs' };

/**
 * @typedef {object} Snapshot
 * @property {string} name
 * @property {string} description
 * @property {number} snaptime     epoch seconds
 * @property {0|1} vmstate         always 0 on lxc
 * @property {string|null} parent
 * @property {'prepare'|'delete'|null} snapstate
 */

/**
 * @typedef {object} Guest
 * @property {number} vmid
 * @property {'qemu'|'lxc'} type
 * @property {string} node
 * @property {string} name
 * @property {'running'|'stopped'} status
 * @property {string|null} lock
 * @property {'lvmthin'|'zfs'} storage
 * @property {boolean} template
 * @property {string|null} parent        the config's top-level parent (the "current" entry's parent)
 * @property {Map<string, Snapshot>} snapshots  in insertion order
 * @property {number} cpus
 * @property {number} maxmem            bytes
 * @property {number} maxdisk           bytes
 * @property {number|null} startedAtMs  simulated time the guest last started
 */

/**
 * @typedef {object} SeedSnapshot
 * @property {string} name
 * @property {string} [description]
 * @property {number} [ageSeconds]   relative to the simulator clock at start
 * @property {number} [snaptime]     absolute epoch seconds
 * @property {0|1|boolean} [vmstate]
 * @property {'prepare'|'delete'} [snapstate]
 * @property {string} [parent]       default: the previous snapshot by snaptime
 */

/**
 * @typedef {object} SeedGuest
 * @property {number} vmid
 * @property {'qemu'|'lxc'} type
 * @property {string} node
 * @property {string} name
 * @property {'running'|'stopped'} status
 * @property {string} [lock]
 * @property {'lvmthin'|'zfs'} [storage]
 * @property {boolean|0|1} [template]
 * @property {number} [cpus]
 * @property {number} [maxmem]   bytes
 * @property {number} [maxdisk]  bytes
 * @property {SeedSnapshot[]} [snapshots]
 */

/** @typedef {{nodes: string[], guests: SeedGuest[]}} Seed */

/** @param {string} message @param {unknown} [details] */
function seedError(message, details) {
  return Object.assign(new Error(message), { code: 'INVALID_SEED', details });
}

/**
 * Read a seed: 'demo', a path to a JSON file, or a seed object.
 * @param {'demo'|string|Seed} seed
 * @returns {Promise<Seed>}
 */
export async function readSeed(seed = 'demo') {
  if (typeof seed === 'object' && seed !== null) return structuredClone(seed);
  const file = seed === 'demo' ? new URL('./demo-seed.json', import.meta.url) : seed;
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw seedError(`cannot read seed file '${seed}': ${/** @type {Error} */ (err).message}`, { seed });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw seedError(`seed file '${seed}' is not valid JSON: ${/** @type {Error} */ (err).message}`, { seed });
  }
}

/**
 * Turn a seed into live state. Ages are resolved against `nowMs` once.
 * @param {Seed} seed
 * @param {number} nowMs simulated time at start
 * @returns {{nodes: string[], guests: Map<number, Guest>}}
 */
export function buildState(seed, nowMs) {
  if (!seed || !Array.isArray(seed.nodes) || seed.nodes.length === 0) throw seedError('seed.nodes must be a non-empty array of node names');
  for (const n of seed.nodes) if (typeof n !== 'string' || !NODE_RE.test(n)) throw seedError(`invalid node name '${n}' in seed.nodes`, { node: n });
  if (!Array.isArray(seed.guests)) throw seedError('seed.guests must be an array');
  const nowSec = Math.floor(nowMs / 1000);
  /** @type {Map<number, Guest>} */
  const guests = new Map();
  for (const g of seed.guests) {
    const where = `guest ${g?.vmid}`;
    if (!Number.isInteger(g?.vmid) || g.vmid < 100 || g.vmid > 999999999) throw seedError(`${where}: vmid must be an integer 100..999999999`, { vmid: g?.vmid });
    if (guests.has(g.vmid)) throw seedError(`${where}: duplicate vmid`, { vmid: g.vmid });
    if (g.type !== 'qemu' && g.type !== 'lxc') throw seedError(`${where}: type must be 'qemu' or 'lxc', got '${g.type}'`, { vmid: g.vmid });
    if (!seed.nodes.includes(g.node)) throw seedError(`${where}: node '${g.node}' is not in seed.nodes`, { vmid: g.vmid });
    if (g.status !== 'running' && g.status !== 'stopped') throw seedError(`${where}: status must be 'running' or 'stopped'`, { vmid: g.vmid });
    const storage = g.storage ?? 'lvmthin';
    if (!(storage in STORAGE_IDS)) throw seedError(`${where}: storage must be 'lvmthin' or 'zfs', got '${storage}'`, { vmid: g.vmid });
    /** @type {Guest} */
    const guest = {
      vmid: g.vmid,
      type: g.type,
      node: g.node,
      name: String(g.name ?? `vm${g.vmid}`),
      status: g.status,
      lock: g.lock ?? null,
      storage,
      template: Boolean(g.template),
      parent: null,
      snapshots: new Map(),
      cpus: g.cpus ?? 2,
      maxmem: g.maxmem ?? 4 * 1024 ** 3,
      maxdisk: g.maxdisk ?? 32 * 1024 ** 3,
      startedAtMs: g.status === 'running' ? nowMs - 3 * 86400_000 : null,
    };
    const snaps = (g.snapshots ?? []).map((s) => {
      if (typeof s?.name !== 'string' || !CONFIGID_RE.test(s.name) || s.name.length > 40) throw seedError(`${where}: invalid snapshot name '${s?.name}'`, { vmid: g.vmid });
      const snaptime = s.snaptime ?? (typeof s.ageSeconds === 'number' && Number.isFinite(s.ageSeconds) ? nowSec - s.ageSeconds : null);
      if (!Number.isInteger(snaptime)) throw seedError(`${where}: snapshot '${s.name}' needs ageSeconds or snaptime (integer)`, { vmid: g.vmid });
      if (s.snapstate && s.snapstate !== 'prepare' && s.snapstate !== 'delete') throw seedError(`${where}: snapshot '${s.name}' snapstate must be 'prepare' or 'delete'`, { vmid: g.vmid });
      // snaptime is an integer here (checked above); parent stays undefined until the chain below fills it in.
      return { name: s.name, description: String(s.description ?? ''), snaptime: /** @type {number} */ (snaptime), vmstate: g.type === 'qemu' && s.vmstate ? 1 : 0, parent: /** @type {string | null | undefined} */ (s.parent ?? undefined), snapstate: s.snapstate ?? null };
    });
    // Default ancestry is the chain by creation time, as successive snapshots produce.
    const byTime = [...snaps].sort((a, b) => a.snaptime - b.snaptime);
    byTime.forEach((s, i) => {
      if (s.parent === undefined) s.parent = i > 0 ? byTime[i - 1].name : null;
    });
    for (const s of snaps) {
      if (guest.snapshots.has(s.name)) throw seedError(`${where}: duplicate snapshot name '${s.name}'`, { vmid: g.vmid });
      guest.snapshots.set(s.name, /** @type {Snapshot} */ (s));
    }
    guest.parent = byTime.length ? byTime[byTime.length - 1].name : null;
    guests.set(g.vmid, guest);
  }
  return { nodes: [...seed.nodes], guests };
}

/**
 * A guest's disk volume id, as named in Proxmox storage errors.
 * @param {Guest} guest
 */
export function diskVolume(guest) {
  const store = STORAGE_IDS[guest.storage];
  const kind = guest.type === 'lxc' && guest.storage === 'zfs' ? 'subvol' : 'vm';
  return `${store}:${kind}-${guest.vmid}-disk-0`;
}

/** @param {Guest} guest */
export function storageId(guest) {
  return STORAGE_IDS[guest.storage];
}

/**
 * Config path as in "Configuration file '…' does not exist".
 * @param {string} node @param {'qemu'|'lxc'} type @param {number|string} vmid
 */
export function configPath(node, type, vmid) {
  return `nodes/${node}/${type === 'lxc' ? 'lxc' : 'qemu-server'}/${vmid}.conf`;
}

/**
 * Guest type word used in lock errors: "VM is locked (…)" / "CT is locked (…)".
 * @param {Guest} guest
 */
export function guestWord(guest) {
  return guest.type === 'lxc' ? 'CT' : 'VM';
}

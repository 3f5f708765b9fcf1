// The Snapshots page input for one VM with 10 snapshots, as Proxmox sends
// it. Plain data with no imports, so the browser bench can load it as is.

/** 2026-11-25T11:30:00Z */
export const PAGE_NOW_MS = 1_795_606_200_000;

/** @type {{maxSnapshots: number, lifetimeDays: number}} */
export const PAGE_POLICY = { maxSnapshots: 10, lifetimeDays: 3 };

/** `data` of GET …/status/current */
export const PAGE_VM_STATUS = { status: 'running', vmid: 101, name: 'web-alice', qmpstatus: 'running', uptime: 86400, cpus: 2, maxmem: 4294967296 };

const nowS = PAGE_NOW_MS / 1000;
/** @param {number} s epoch seconds */
const stamp = (s) => new Date(s * 1000).toISOString().replace(/[-:]/g, '').slice(0, 15);
const managed = Array.from({ length: 8 }, (_, i) => {
  const snaptime = nowS - 3600 - i * 33_000; // spread over ~3 days, the oldest expired
  return { name: `snap${stamp(snaptime)}`, description: i % 2 ? 'Before PHP upgrade' : '', snaptime, vmstate: i % 3 === 0 ? 1 : 0 };
});

/** `data` of GET …/snapshot: 8 managed, 2 made by an administrator, then `current`, in hash order. */
export const PAGE_SNAPSHOTS = [
  managed[3], { name: 'before-migration', description: 'Taken by support', snaptime: nowS - 864_000, vmstate: 0 },
  managed[0], managed[6], managed[1], managed[7], { name: 'admin-test', description: '', snaptime: nowS - 5000, vmstate: 0 },
  managed[2], managed[5], managed[4],
  { name: 'current', digest: 'a'.repeat(40), running: 1, description: 'You are here!', parent: managed[0].name },
];

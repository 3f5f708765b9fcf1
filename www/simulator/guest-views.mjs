// Proxmox-shaped answers read from a guest: snapshot list entries, status,
// config. Field sets and presence rules follow qemu-server / pve-container.
import { createHash } from 'node:crypto';
import { diskVolume } from './guests.mjs';

/** @typedef {import('./guests.mjs').Guest} Guest */
/** @typedef {import('./guests.mjs').Snapshot} Snapshot */

/**
 * SHA1 of the guest's config as Proxmox would store it; changes with every edit.
 * @param {Guest} guest
 */
export function configDigest(guest) {
  const snaps = [...guest.snapshots.values()].map((s) => [s.name, s.description, s.snaptime, s.vmstate, s.parent, s.snapstate]);
  return createHash('sha1').update(JSON.stringify([guest.vmid, guest.name, guest.lock, guest.parent, guest.template, snaps])).digest('hex');
}

/**
 * Snapshot list entry exactly as qemu-server snapshot_list / pve-container list build it.
 * @param {Guest} guest @param {Snapshot} s
 */
export function snapshotEntry(guest, s) {
  /** @type {Record<string, unknown>} */
  const item = { name: s.name, snaptime: s.snaptime || 0 };
  if (guest.type === 'qemu') item.vmstate = s.vmstate ? 1 : 0;
  item.description = s.description || '';
  if (s.parent) item.parent = s.parent;
  if (s.snapstate) item.snapstate = s.snapstate;
  return item;
}

/**
 * The trailing "current" pseudo-entry.
 * @param {Guest} guest
 */
export function currentEntry(guest) {
  /** @type {Record<string, unknown>} */
  const item = { name: 'current', digest: configDigest(guest), running: guest.status === 'running' ? 1 : 0, description: 'You are here!' };
  if (guest.parent) item.parent = guest.parent;
  return item;
}

/**
 * A detached copy for library callers (tests): plain data, snapshots by snaptime.
 * @param {Guest} guest
 */
export function guestCopy(guest) {
  return {
    vmid: guest.vmid,
    type: guest.type,
    node: guest.node,
    name: guest.name,
    status: guest.status,
    lock: guest.lock,
    storage: guest.storage,
    template: guest.template,
    parent: guest.parent,
    snapshots: [...guest.snapshots.values()]
      .sort((a, b) => a.snaptime - b.snaptime || a.name.localeCompare(b.name))
      .map((s) => ({ ...s })),
  };
}

/**
 * The config keys a simple guest would have (enough for a config read).
 * @param {Guest} guest
 */
export function configView(guest) {
  const sizeG = `${Math.round(guest.maxdisk / 1024 ** 3)}G`;
  if (guest.type === 'lxc') {
    return { hostname: guest.name, arch: 'amd64', cores: guest.cpus, memory: Math.round(guest.maxmem / 1024 ** 2), ostype: 'debian', rootfs: `${diskVolume(guest)},size=${sizeG}`, swap: 512, net0: 'name=eth0,bridge=vmbr0,ip=dhcp,type=veth' };
  }
  return { name: guest.name, cores: guest.cpus, memory: String(Math.round(guest.maxmem / 1024 ** 2)), ostype: 'l26', scsihw: 'virtio-scsi-single', scsi0: `${diskVolume(guest)},size=${sizeG}`, boot: 'order=scsi0', net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0', vmgenid: '00000000-0000-4000-8000-000000000000', smbios1: 'uuid=00000000-0000-4000-8000-000000000001' };
}

/**
 * GET …/status/current (qemu-server vmstatus / PVE::LXC::vmstatus).
 * @param {Guest} guest
 * @param {number} nowMs simulated time, for uptime
 */
export function statusView(guest, nowMs) {
  const running = guest.status === 'running';
  const uptime = running && guest.startedAtMs !== null ? Math.max(0, Math.floor((nowMs - guest.startedAtMs) / 1000)) : 0;
  /** @type {Record<string, any>} */
  const s = {
    status: guest.status,
    vmid: guest.vmid,
    name: guest.name,
    uptime,
    cpus: guest.cpus,
    cpu: running ? 0.02 : 0,
    maxmem: guest.maxmem,
    mem: running ? Math.round(guest.maxmem / 3) : 0,
    maxdisk: guest.maxdisk,
    disk: 0,
    netin: running ? 1048576 : 0,
    netout: running ? 524288 : 0,
    diskread: running ? 2097152 : 0,
    diskwrite: running ? 1048576 : 0,
    ha: { managed: 0 },
  };
  if (guest.type === 'qemu') s.qmpstatus = running ? 'running' : 'stopped';
  if (guest.type === 'lxc') {
    s.type = 'lxc';
    s.maxswap = 536870912;
    s.swap = 0;
  }
  if (running) s.pid = 10000 + guest.vmid;
  if (guest.lock) s.lock = guest.lock;
  if (guest.template) s.template = 1;
  return s;
}

// Which node a VM lives on, from /cluster/resources. Cached briefly because
// every page load needs it; dropped when Proxmox says the VM's config file is
// missing on the node we asked (the VM migrated).

/**
 * @typedef {{node: string, vmid: number, type: 'qemu'|'lxc'}} Target
 */

/**
 * @param {{pve: {request(d: object): Promise<any>}, core: {clusterVmsRequest(): object}, now: () => number, ttlMs?: number}} options
 */
export function createNodeResolver({ pve, core, now, ttlMs = 15_000 }) {
  /** @type {{at: number, byKey: Map<string, string>} | null} */
  let cache = null;
  /** @type {Promise<Map<string, string>> | null} */
  let inflight = null;

  async function load() {
    const list = await pve.request(core.clusterVmsRequest());
    /** @type {Map<string, string>} */
    const byKey = new Map();
    for (const r of Array.isArray(list) ? list : []) {
      if (r && (r.type === 'qemu' || r.type === 'lxc') && typeof r.node === 'string') {
        byKey.set(`${r.type}/${Number(r.vmid)}`, r.node);
      }
    }
    cache = { at: now(), byKey };
    return byKey;
  }

  return {
    /**
     * @param {{vmid: number, type: 'qemu'|'lxc'}} vm
     * @returns {Promise<Target | null>} null when the cluster has no such guest
     */
    async resolve({ vmid, type }) {
      let byKey = cache && now() - cache.at < ttlMs ? cache.byKey : null;
      if (!byKey) {
        // One cluster read for a burst of page loads, not one each.
        inflight ??= load().finally(() => { inflight = null; });
        byKey = await inflight;
      }
      const node = byKey.get(`${type}/${vmid}`);
      return node === undefined ? null : { node, vmid, type };
    },
    invalidate() {
      cache = null;
    },
  };
}

/**
 * Proxmox's answer when a request names the wrong node for a guest.
 * @param {unknown} err
 * @returns {boolean}
 */
export function isWrongNode(err) {
  const e = /** @type {{pveMessage?: unknown, message?: unknown}} */ (err ?? {});
  const text = `${typeof e.pveMessage === 'string' ? e.pveMessage : ''} ${typeof e.message === 'string' ? e.message : ''}`;
  return /Configuration file '[^']*' does not exist/.test(text);
}

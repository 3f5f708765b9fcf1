// One snapshot action per VM at a time, in this process. Proxmox would let
// two create calls through (both get a UPID; one task fails later), so the
// server must serialise from planning until the task has ended.

/**
 * @template T
 * @returns {{tryAcquire(key: string, holder: T): (() => void) | null, holder(key: string): T | undefined}}
 */
export function createKeyedMutex() {
  /** @type {Map<string, {holder: T}>} */
  const held = new Map();
  return {
    tryAcquire(key, holder) {
      if (held.has(key)) return null;
      const entry = { holder };
      held.set(key, entry);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (held.get(key) === entry) held.delete(key);
      };
    },
    holder(key) {
      return held.get(key)?.holder;
    },
  };
}

// Copies one argument into plain data before the core reads it, so the
// reader never runs host code: every getter and proxy trap runs here, once,
// and whatever JSON could not carry (NaN, ±Infinity, bigints, functions,
// symbols, lone surrogates) is refused with the field named. Only own
// enumerable fields count, as in JSON; `undefined` reads as absent.

class Refusal {
  /** @param {string} field @param {string} reason */
  constructor(field, reason) {
    this.field = field;
    this.reason = reason;
  }
}

const KIND = { bigint: 'a bigint', symbol: 'a symbol', function: 'a function' };

/**
 * @param {unknown} value
 * @param {string} name the argument's name, the root of every field path
 * @param {number} maxItems
 * @param {number} maxDepth
 * @returns {unknown} a copy made of null, booleans, finite numbers, well-formed strings, arrays and plain objects
 * @throws {Refusal}
 */
export function plain(value, name, maxItems, maxDepth) {
  /** @type {(v: unknown, path: string, depth: number) => unknown} */
  const copy = (v, path, depth) => {
    switch (typeof v) {
      case 'undefined':
        return null;
      case 'boolean':
        return v;
      case 'number':
        if (Number.isFinite(v)) return v;
        throw new Refusal(path, `expected JSON data, got ${Number.isNaN(v) ? 'NaN' : 'an infinite number'}`);
      case 'string':
        if (v.isWellFormed()) return v;
        throw new Refusal(path, 'contains a lone surrogate (not valid Unicode text)');
      case 'object': {
        if (v === null) return null;
        if (depth >= maxDepth) throw new Refusal(path, `nests more than ${maxDepth} levels deep`);
        /** @type {(string|number)[]} */
        let keys;
        let list = false;
        try {
          list = Array.isArray(v);
          if (list) {
            const n = /** @type {unknown[]} */ (v).length;
            if (n > maxItems) throw new Refusal(path, `more than ${maxItems} entries`);
            keys = Array.from({ length: n }, (_, i) => i);
          } else {
            keys = Object.keys(v);
          }
        } catch (e) {
          if (e instanceof Refusal) throw e;
          throw new Refusal(path, 'could not be read (a proxy or getter threw)');
        }
        // No prototype, so an own "__proto__" field stays a field.
        const out = list ? [] : Object.create(null);
        for (const k of keys) {
          const at = typeof k === 'number' ? `${path}[${k}]` : `${path}.${k}`;
          let item;
          try {
            item = /** @type {Record<string|number, unknown>} */ (v)[k];
          } catch {
            throw new Refusal(at, 'could not be read (a proxy or getter threw)');
          }
          /** @type {Record<string|number, unknown>} */ (out)[k] = copy(item, at, depth + 1);
        }
        return out;
      }
      default:
        throw new Refusal(path, `expected JSON data, got ${KIND[typeof v]}`);
    }
  };
  return copy(value, name, 0);
}

// Copies one argument into plain data before the core reads it, so the
// reader never runs host code: every getter and proxy trap runs here, once,
// and whatever JSON could not carry (NaN, ±Infinity, bigints, functions,
// symbols, lone surrogates) is refused with the field named. Only own
// enumerable fields count, as in JSON; `undefined` reads as absent.
// Where the core reads a struct (an object argument, a list's entry) an
// array is refused here: serde would read it as the struct by field names,
// so `[1, "x"]` would pass as options.

class Refusal {
  /** @param {string} reason */
  constructor(reason) {
    this.reason = reason;
    /** Path segments below the argument, innermost first: filled in on the way out. */
    this.at = /** @type {string[]} */ ([]);
    /** The field path, as the core names fields (`snapshots[2].name`). */
    this.field = '';
  }
}

/** @type {Record<string, string>} */
const KIND = { bigint: 'a bigint', symbol: 'a symbol', function: 'a function' };
const UNREADABLE = 'could not be read (a proxy or getter threw)';
const ARRAY = 'expected an object, got an array';

/**
 * @param {unknown} value
 * @param {string} name the argument's name, the root of every field path
 * @param {number} maxItems
 * @param {number} maxDepth
 * @param {'value'|'object'|'list'} shape what the core reads: a single value, a struct, or a list of structs
 * @returns {unknown} a copy made of null, booleans, finite numbers, well-formed strings, arrays and plain objects
 * @throws {Refusal} with `field` and `reason`
 */
export function plain(value, name, maxItems, maxDepth, shape) {
  try {
    if (shape !== 'value' && isArrayValue(value)) {
      if (shape === 'object') throw new Refusal(ARRAY);
      return copyArray(value, maxItems, maxDepth - 1, true);
    }
    return copy(value, maxItems, maxDepth);
  } catch (e) {
    const refusal = e instanceof Refusal ? e : new Refusal(UNREADABLE);
    refusal.field = name + refusal.at.reverse().join('');
    throw refusal;
  }
}

/**
 * Paths are only spelled out for a refusal, so the common case builds no strings.
 * @param {unknown} v
 * @param {number} maxItems
 * @param {number} depth levels still allowed
 * @returns {unknown}
 */
function copy(v, maxItems, depth) {
  switch (typeof v) {
    case 'undefined':
      return null;
    case 'boolean':
      return v;
    case 'number':
      if (Number.isFinite(v)) return v;
      throw new Refusal(`expected JSON data, got ${Number.isNaN(v) ? 'NaN' : 'an infinite number'}`);
    case 'string':
      if (v.isWellFormed()) return v;
      throw new Refusal('contains a lone surrogate (not valid Unicode text)');
    case 'object':
      if (v === null) return null;
      if (depth === 0) throw new Refusal('nests too deeply');
      return isArray(v) ? copyArray(v, maxItems, depth - 1) : copyObject(v, maxItems, depth - 1);
    default:
      throw new Refusal(`expected JSON data, got ${KIND[typeof v]}`);
  }
}

/**
 * @param {unknown[]} v
 * @param {number} maxItems
 * @param {number} depth
 * @param {boolean} [structs] whether each entry is read as a struct
 */
function copyArray(v, maxItems, depth, structs = false) {
  let n;
  try {
    n = v.length;
  } catch {
    throw new Refusal(UNREADABLE);
  }
  if (n > maxItems) throw new Refusal(`more than ${maxItems} entries`);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    try {
      const entry = read(v, i);
      if (structs && isArrayValue(entry)) throw new Refusal(ARRAY);
      out[i] = copy(entry, maxItems, depth);
    } catch (e) {
      if (e instanceof Refusal) e.at.push(`[${i}]`);
      throw e;
    }
  }
  return out;
}

/** @param {object} v @param {number} maxItems @param {number} depth */
function copyObject(v, maxItems, depth) {
  let keys;
  try {
    keys = Object.keys(v);
  } catch {
    throw new Refusal(UNREADABLE);
  }
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const k of keys) {
    let value;
    try {
      value = copy(read(v, k), maxItems, depth);
    } catch (e) {
      if (e instanceof Refusal) e.at.push(`.${k}`);
      throw e;
    }
    // Defined, not assigned, so an own "__proto__" field stays a field.
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out;
}

/** @param {unknown} v @returns {v is unknown[]} */
function isArrayValue(v) {
  return typeof v === 'object' && v !== null && isArray(v);
}

/** @param {object} v @returns {v is unknown[]} */
function isArray(v) {
  try {
    return Array.isArray(v);
  } catch {
    throw new Refusal(UNREADABLE); // a revoked proxy
  }
}

/** @param {object} v @param {string|number} k */
function read(v, k) {
  try {
    return /** @type {Record<string|number, unknown>} */ (v)[k];
  } catch {
    throw new Refusal(UNREADABLE);
  }
}

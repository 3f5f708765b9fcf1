// Parameter verification the way pve-common's PVE::JSONSchema::check_prop does
// it: per parameter, the first failing check wins (type, format, pattern,
// maxLength, minLength, maximum, minimum, enum) and texts match Proxmox's.

// Perl's `$` also matches before one trailing newline, so Proxmox accepts "ab\n".
const CONFIGID_RE = /^[a-z][a-z0-9_-]+\n?$/i;
const VMID_RE = /^[1-9][0-9]{2,8}\n?$/;
const NODE_RE = /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)\n?$/;
// Perl's is_integer / is_number (pve-common JSONSchema.pm)
const INTEGER_RE = /^\s*[+-]?\d+\s*$/;
const NUMBER_RE = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * Format validators: return an error text (with Perl's trailing "\n") or null.
 * @type {Record<string, (v: string) => string | null>}
 */
const FORMATS = {
  'pve-configid': (v) => (CONFIGID_RE.test(v) ? null : `invalid configuration ID '${v}'\n`),
  'pve-vmid': (v) => (VMID_RE.test(v) ? null : 'value does not look like a valid VM ID\n'),
  'pve-node': (v) => (NODE_RE.test(v) ? null : 'value does not look like a valid node name\n'),
};

/**
 * Validate a flat parameter object against a Proxmox method's `parameters`
 * schema (from snapshot-schema.json).
 * @param {Record<string, unknown>} params merged path + query + body params
 * @param {{properties?: Record<string, any>, additionalProperties?: number|boolean}} schema
 * @returns {Record<string,string>|null} Proxmox's `errors` object, or null when valid
 */
export function checkParams(params, schema) {
  /** @type {Record<string,string>} */
  const errors = {};
  const props = schema?.properties ?? {};
  for (const [name, prop] of Object.entries(props)) {
    const msg = checkProp(params[name], prop);
    if (msg) errors[name] = msg;
  }
  if (!schema?.additionalProperties) {
    for (const name of Object.keys(params)) {
      if (!(name in props)) errors[name] = 'property is not defined in schema and the schema does not allow additional properties';
    }
  }
  return Object.keys(errors).length ? errors : null;
}

/**
 * @param {unknown} value
 * @param {any} prop
 * @returns {string|null}
 */
function checkProp(value, prop) {
  if (value === undefined || value === null) {
    return prop.optional ? null : 'property is missing and it is not optional';
  }
  const typeMsg = checkType(value, prop.type);
  if (typeMsg) return typeMsg;
  if (typeof value === 'object') return null;
  const text = String(value);
  if (prop.format && FORMATS[prop.format]) {
    const fmt = FORMATS[prop.format](text);
    if (fmt) return `invalid format - ${fmt}`;
  }
  if (prop.pattern && !new RegExp(`^(?:${prop.pattern})$`).test(text)) return 'value does not match the regex pattern';
  if (prop.maxLength !== undefined && [...text].length > prop.maxLength) return `value may only be ${prop.maxLength} characters long`;
  if (prop.minLength !== undefined && [...text].length < prop.minLength) return `value must be at least ${prop.minLength} characters long`;
  if (NUMBER_RE.test(text)) {
    if (prop.maximum !== undefined && Number(text) > prop.maximum) return `value must have a maximum value of ${prop.maximum}`;
    if (prop.minimum !== undefined && Number(text) < prop.minimum) return `value must have a minimum value of ${prop.minimum}`;
  }
  if (Array.isArray(prop.enum) && !prop.enum.map(String).includes(text)) {
    return `value '${text}' does not have a value in the enumeration '${prop.enum.join(', ')}'`;
  }
  return null;
}

/**
 * @param {unknown} value
 * @param {string} type
 * @returns {string|null}
 */
function checkType(value, type) {
  if (typeof value === 'object') {
    // Arrays/objects only arrive through JSON bodies; Perl names the ref type.
    return `type check ('${type}') failed - got ${Array.isArray(value) ? 'ARRAY' : 'HASH'}`;
  }
  if (typeof value === 'boolean' && type !== 'boolean') {
    // JSON true/false decode to JSON::PP::Boolean refs in Perl.
    return `type check ('${type}') failed - got JSON::PP::Boolean`;
  }
  if (type === 'boolean') {
    // JSON true/false are accepted since libpve-common-perl 8.0.4 (fix #4778).
    if (typeof value === 'boolean') return null;
    return String(value) === '1' || String(value) === '0' ? null : `type check ('boolean') failed - got '${value}'`;
  }
  if (type === 'integer') {
    return INTEGER_RE.test(String(value)) ? null : `type check ('integer') failed - got '${value}'`;
  }
  if (type === 'number') {
    return NUMBER_RE.test(String(value)) ? null : `type check ('number') failed - got '${value}'`;
  }
  return null;
}

/**
 * Proxmox's boolean reading after verification: "1"/1/true are true.
 * @param {unknown} value
 */
export function isTrue(value) {
  return value === true || value === 1 || value === '1';
}

// pve-http-server's own URL decoding (AnyEvent.pm decode_urlencoded and
// uri_unescape), quirks included, so clients meet the same parsing as on Proxmox.

/**
 * URI::Escape::uri_unescape: every %XX becomes that byte; the bytes are read as UTF-8.
 * Malformed escapes stay as they are.
 * @param {string} text
 */
export function uriUnescape(text) {
  if (!text.includes('%')) return text;
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * decode_urlencoded: pairs split on "&" or ";", key and value split on "="
 * (anything after a second "=" is dropped, as Perl's list assignment does),
 * "+" is a space, a repeated key joins its values with "\0".
 * @param {string} data
 * @returns {Record<string, string>}
 */
export function decodeUrlencoded(data) {
  /** @type {Record<string, string>} */
  const res = {};
  if (!data) return res;
  for (const kv of data.split(/[&;]/)) {
    const [k = '', v] = kv.split('=');
    const key = uriUnescape(k.replace(/\+/g, ' '));
    const value = v === undefined ? undefined : uriUnescape(v.replace(/\+/g, ' '));
    if (value === undefined) continue; // Perl: an undefined value is skipped when validated
    res[key] = key in res ? `${res[key]}\0${value}` : value;
  }
  return res;
}

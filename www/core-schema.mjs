// zod glue shared by the config schema and the request-body schemas: a field
// whose rule the rules core owns is checked by calling the core, and a failed
// parse becomes a list of problems, each with its JSON path.
import { z } from 'zod';

/**
 * A problem found in a config file or a request body.
 * @typedef {object} Problem
 * @property {(string|number)[]} path  where, as keys from the document's root
 * @property {string} message          what is wrong, without the path
 * @property {string|undefined} code   the core's code when the core refused the value
 * @property {boolean} unknownKey      a key the schema does not allow
 */

/**
 * A schema for a value whose validity the rules core decides. `check` calls
 * the core and returns the normalised value; a SnapshotError it throws
 * becomes an issue carrying the core's code and message, at the field the
 * core names, re-anchored under this value: the core calls the value
 * `anchor` (e.g. `policy`, `target.vmid`), so its `policy.lifetimeDays`
 * becomes `…products["vps-s"].lifetimeDays` in a config file. Anything
 * else it throws is a bug and propagates.
 * @template T
 * @param {string} anchor  the core's name for the value, the start of its `details.field`
 * @param {(value: unknown) => T} check
 */
export function coreChecked(anchor, check) {
  // optional(): an absent key reaches the core too, which says whether it may be absent.
  return z.unknown().optional().transform((value, ctx) => {
    try {
      return check(value);
    } catch (err) {
      const refusal = asRefusal(err);
      if (!refusal) throw err;
      const { path, message } = reanchor(refusal, anchor);
      ctx.addIssue({ code: 'custom', message, path, params: { code: refusal.code } });
      return z.NEVER;
    }
  });
}

/**
 * @param {unknown} err
 * @returns {{code: string, message: string, field: string|undefined} | null}
 */
function asRefusal(err) {
  if (!(err instanceof Error) || err.name !== 'SnapshotError') return null;
  const e = /** @type {Error & {code?: unknown, details?: {field?: unknown} | null}} */ (err);
  if (typeof e.code !== 'string') return null;
  const field = e.details?.field;
  return { code: e.code, message: e.message, field: typeof field === 'string' ? field : undefined };
}

/**
 * The core prefixes its message with the field (`policy.lifetimeDays: must
 * be …`); the report prints the path itself, so the prefix goes.
 * @param {{message: string, field: string|undefined}} refusal
 * @param {string} anchor
 * @returns {{path: string[], message: string}}
 */
function reanchor({ message, field }, anchor) {
  if (field === undefined) return { path: [], message };
  const text = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  if (field === anchor) return { path: [], message: text };
  if (field.startsWith(`${anchor}.`)) return { path: field.slice(anchor.length + 1).split('.'), message: text };
  // A field outside the value (the core named a placeholder): keep the core's words whole.
  return { path: [], message };
}

/**
 * Every issue of a failed parse as a problem; an object's unknown keys are
 * one problem per key, at the key.
 * @param {z.core.$ZodIssue[]} issues
 * @returns {Problem[]}
 */
export function problemsOf(issues) {
  /** @type {Problem[]} */
  const problems = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: [...path, key], message: issue.message, code: undefined, unknownKey: true });
    } else if (issue.code === 'invalid_key') {
      problems.push({ path, message: issue.issues[0]?.message ?? issue.message, code: undefined, unknownKey: false });
    } else {
      const code = issue.code === 'custom' ? issue.params?.code : undefined;
      problems.push({ path, message: issue.message, code: typeof code === 'string' ? code : undefined, unknownKey: false });
    }
  }
  return problems;
}

/**
 * A path as JSON-path-like text: `services[2].vmid`, `products["vps-s"]`.
 * @param {(string|number)[]} path
 * @returns {string}
 */
export function pathText(path) {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) text += text === '' ? part : `.${part}`;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text === '' ? '(root)' : text;
}

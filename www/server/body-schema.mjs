// The JSON bodies the panel's API accepts, one zod schema per endpoint. An
// unknown field is an error, not a no-op, so a typo or an attempt to name
// another VM is refused. What a description may hold is the core's rule:
// the schema asks the core, so the page, the server and the job agree.
import { z } from 'zod';
import * as core from '../core.mjs';
import { coreChecked, pathText, problemsOf } from '../core-schema.mjs';
import { ApiError } from './http-io.mjs';

/**
 * An object with exactly these fields.
 * @template {z.core.$ZodLooseShape} S
 * @param {S} shape
 */
function body(shape) {
  const allowed = Object.keys(shape).join(', ') || 'none';
  return z.strictObject(shape, { error: `unknown field (allowed: ${allowed})` });
}

/** @param {number} max */
function text(max) {
  const error = `must be a string of 1 to ${max} characters`;
  return z.string({ error }).min(1, { error }).max(max, { error });
}

const flag = z.boolean({ error: 'must be true or false' }).optional();

const description = coreChecked('description', (value) =>
  value === undefined || value === null ? undefined : core.normalizeDescription(/** @type {string} */ (value)));

/** POST /api/login */
export const loginBody = body({ username: text(64), password: text(1024) });

/** POST /api/services/:id/snapshots */
export const createBody = body({ description, includeRam: flag });

/** POST /api/services/:id/snapshots/:name/rollback */
export const rollbackBody = body({ start: flag });

/** DELETE /api/services/:id/snapshots/:name */
export const removeBody = body({});

/** @typedef {z.output<typeof loginBody>} LoginBody */
/** @typedef {z.output<typeof createBody>} CreateBody */
/** @typedef {z.output<typeof rollbackBody>} RollbackBody */

/**
 * The body, checked: every problem at once in one ApiError. Its code is the
 * first problem's (INVALID_INPUT, or the core's, e.g. INVALID_DESCRIPTION);
 * unknown fields come first. `details.field` names the first problem's field,
 * `details.problems` lists them all as `{field, code, message}`.
 * @template {z.ZodType} S
 * @param {S} schema
 * @param {unknown} value
 * @returns {z.output<S>}
 */
export function parseBody(schema, value) {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = problemsOf(result.error.issues)
    .map((p) => ({ field: pathText(p.path), code: p.code ?? 'INVALID_INPUT', message: p.message, unknown: p.unknownKey }))
    .sort((a, b) => Number(b.unknown) - Number(a.unknown))
    .map(({ field, code, message }) => ({ field, code, message }));
  const [first] = problems;
  throw new ApiError(first.code, problems.map((p) => `${p.field}: ${p.message}`).join('; '), { field: first.field, problems });
}

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

const hostId = z.string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be 1 to 64 letters, digits, ".", "_" or "-"' })
  .refine((id) => id !== '.' && id !== '..', { error: 'must not be "." or ".."' });

/** @param {number} max */
const optionalText = (max) => z.string({ error: `must be a string of at most ${max} characters` })
  .max(max, { error: `must be a string of at most ${max} characters` }).optional();

// The core judges the policy as a whole (INVALID_POLICY with its message);
// the schema only fixes which fields there are.
/** PUT /host/v1/products/:productId */
export const productBody = body({
  maxSnapshots: z.unknown(), lifetimeDays: z.unknown(), includeRam: z.unknown().optional(),
  namePrefix: z.unknown().optional(), rollbackLatestOnly: z.unknown().optional(),
});

const vmid = coreChecked('target.vmid', (value) => /** @type {number} */ (core.validateTarget({ node: 'localhost', vmid: /** @type {number} */ (value) }).vmid));

/** PUT /host/v1/services/:serviceId */
export const serviceBody = body({
  customer: body({ id: hostId, name: optionalText(100), email: optionalText(254) }),
  vmid,
  type: z.enum(['qemu', 'lxc'], { error: 'must be "qemu" or "lxc"' }).optional(),
  product: hostId,
  label: optionalText(100),
});

/** POST /host/v1/services/:serviceId/suspend */
export const suspendBody = body({ reason: optionalText(200) });

/** POST /host/v1/services/:serviceId/unsuspend */
export const unsuspendBody = body({});

/** POST /host/v1/sso */
export const ssoBody = body({ customerId: hostId, serviceId: hostId.optional() });

/** POST /host/v1/admin-sso: the operator (one of the config's `operators`) to sign in */
export const adminSsoBody = body({ username: text(64) });

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

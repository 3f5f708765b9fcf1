// The committed OpenAPI document of the host API
// (integrations/host-api.openapi.json) is valid OpenAPI 3.1, and the running
// server answers every documented operation as documented: a status the
// document lists, and a body that matches its schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import { startHostStack } from './host-harness.mjs';

const DOC_URL = new URL('../../integrations/host-api.openapi.json', import.meta.url);

/**
 * @typedef {{operationId: string, responses: Record<string, any>, parameters?: any[]}} Operation
 */

test('the document is valid OpenAPI 3.1', async () => {
  const doc = JSON.parse(await readFile(DOC_URL, 'utf8'));
  assert.equal(doc.openapi, '3.1.0');
  const result = await new Validator().validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

test('the running server answers every documented operation as documented', async () => {
  const doc = JSON.parse(await readFile(DOC_URL, 'utf8'));
  const ajv = new Ajv2020.default({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(doc, 'doc');

  /** @type {Map<string, {method: string, path: string, op: Operation}>} */
  const operations = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete']) {
      if (item[method]) operations.set(item[method].operationId, { method: method.toUpperCase(), path, op: item[method] });
    }
  }

  /**
   * @param {any} ref a response object or a $ref to one
   * @returns {any}
   */
  const resolve = (ref) => (ref.$ref ? ref.$ref.split('/').slice(1).reduce((/** @type {any} */ o, /** @type {string} */ k) => o[k], doc) : ref);

  const stack = await startHostStack();
  /** @type {Array<[string, number]>} */
  const seen = [];
  /**
   * Calls an operation and checks the answer against the document.
   * @param {string} operationId
   * @param {Record<string, string>} params path parameters
   * @param {{body?: unknown, query?: string, key?: string | null}} [o]
   */
  async function call(operationId, params, { body, query = '', key } = {}) {
    const entry = operations.get(operationId);
    assert.ok(entry, `${operationId} is documented`);
    const path = entry.path.replace(/\{(\w+)\}/g, (_, name) => params[name]).replace(/^\/host\/v1/, '') + query;
    const reply = await stack.host(entry.method, path, { body, ...(key === undefined ? {} : { key }) });
    const documented = entry.op.responses[String(reply.status)];
    assert.ok(documented, `${operationId} answered ${reply.status}, which the document does not list: ${reply.text}`);
    const schema = resolve(documented).content?.['application/json']?.schema;
    if (schema) {
      const ref = schema.$ref ? `doc${schema.$ref}` : undefined;
      const validate = ref ? ajv.getSchema(ref) : ajv.compile(schema);
      assert.ok(validate, `schema of ${operationId} ${reply.status}`);
      assert.ok(validate(reply.json), `${operationId} ${reply.status}: ${ajv.errorsText(validate.errors)} in ${reply.text}`);
    }
    seen.push([operationId, reply.status]);
    return reply;
  }

  try {
    for (const id of operations.keys()) {
      const r = await call(id, { productId: 'p1', serviceId: 's1' }, { key: 'wrong', body: {} });
      assert.equal(r.status, 401, id);
    }
    assert.equal((await call('ping', {})).status, 200);
    assert.equal((await call('putProduct', { productId: 'whmcs-3x3d' }, { body: { maxSnapshots: 3, lifetimeDays: 3 } })).status, 200);
    assert.equal((await call('putProduct', { productId: 'bad' }, { body: { maxSnapshots: 3, lifetimeDays: 0 } })).status, 400);
    const service = { customer: { id: '77', name: 'Carol' }, vmid: 301, product: 'whmcs-3x3d', label: 'vps1' };
    assert.equal((await call('putService', { serviceId: '501' }, { body: service })).status, 201);
    assert.equal((await call('putService', { serviceId: '501' }, { body: service })).status, 200);
    assert.equal((await call('putService', { serviceId: '502' }, { body: service })).status, 409);
    assert.equal((await call('putService', { serviceId: '503' }, { body: { ...service, vmid: 303, product: 'nope' } })).status, 404);
    assert.equal((await call('getService', { serviceId: '501' })).status, 200);
    assert.equal((await call('getService', { serviceId: 'nope' })).status, 404);
    assert.equal((await call('suspendService', { serviceId: '501' }, { body: { reason: 'overdue' } })).status, 200);
    assert.equal((await call('unsuspendService', { serviceId: '501' }, { body: {} })).status, 200);
    assert.equal((await call('createSignOnLink', {}, { body: { customerId: '77', serviceId: '501' } })).status, 200);
    assert.equal((await call('createSignOnLink', {}, { body: { customerId: '88' } })).status, 404);
    assert.equal((await call('createAdminSignOnLink', {}, { body: { username: 'admin' } })).status, 200);
    assert.equal((await call('createAdminSignOnLink', {}, { body: { username: 'nobody' } })).status, 404);
    assert.equal((await call('createAdminSignOnLink', {}, { body: { username: 'admin', customerId: '77' } })).status, 400);
    assert.equal((await call('terminateService', { serviceId: '501' }, { query: '?purgeSnapshots=7' })).status, 400);
    assert.equal((await call('terminateService', { serviceId: '501' }, { query: '?purgeSnapshots=1' })).status, 200);
    assert.equal((await call('terminateService', { serviceId: '501' }, { query: '?purgeSnapshots=1' })).status, 404);

    const answered = new Set(seen.filter(([, status]) => status < 300).map(([id]) => id));
    assert.deepEqual([...operations.keys()].filter((id) => !answered.has(id)), [], 'every operation was seen succeeding');
    // Nothing answers that the document does not name.
    assert.equal((await stack.host('GET', '/services')).status, 404);
    assert.equal((await stack.host('GET', '/products/p1')).status, 405);
  } finally {
    await stack.close();
  }
});

import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { configFrom } from '../core/config';
import { buildRouter } from '../worker/app';
import { createContext } from '../worker/context';
import { checkResponseContract, ResponseContractError } from '../worker/response-contract';
import { type AnyRoute, json, route } from '../worker/route';

const lying: AnyRoute = route({
  method: 'GET',
  path: '/v1/lying',
  summary: 'Answers what it did not declare',
  tag: 'Test',
  access: 'public',
  responses: { 200: { description: 'A count.', schema: v.object({ count: v.number() }) } },
  handle: () => json({ count: 'many' }),
});

describe('the response contract in tests', () => {
  it('runs under the test environment', () => {
    expect(configFrom(env).environment).toBe('test');
  });

  it('refuses an answer that breaks its declared schema, naming the route and the path', async () => {
    const check = checkResponseContract(lying, json({ count: 'many' }));
    await expect(check).rejects.toBeInstanceOf(ResponseContractError);
    await expect(check).rejects.toThrow(/GET \/v1\/lying 200 breaks its schema: count: /);
  });

  it('passes an answer that matches, and one of a status without a schema', async () => {
    await expect(checkResponseContract(lying, json({ count: 3 }))).resolves.toBeUndefined();
    await expect(checkResponseContract(lying, json({ anything: true }, 418))).resolves.toBeUndefined();
  });

  it('turns a broken answer of a served route into a 500, with the mismatch as the failure', async () => {
    const request = new Request('http://127.0.0.1/v1/lying');
    const exec = createExecutionContext();
    const rc = createContext(request, env, exec, configFrom(env));
    const response = await buildRouter([lying]).fetch(request, env, exec, rc);
    expect(response.status).toBe(500);
    expect(rc.failure).toBeInstanceOf(ResponseContractError);
  });
});

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { buildDocument, type OpenApiDocument } from '../worker/openapi/document';
import { openApiPath } from '../worker/openapi/operation';
import { SchemaConverter } from '../worker/openapi/schemas';
import { type AnyRoute, json, route } from '../worker/route';
import { routes } from '../worker/routes';
import { call } from './helpers';

type Operation = {
  parameters: { name?: string; in?: string; $ref?: string }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
  security?: Record<string, string[]>[];
};

const operationOf = (document: OpenApiDocument, r: AnyRoute) =>
  document.paths[openApiPath(r.path)]?.[r.method.toLowerCase()] as Operation | undefined;

async function served(): Promise<OpenApiDocument> {
  const response = await call('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  return (await response.json()) as OpenApiDocument;
}

describe('GET /openapi.json', () => {
  it('documents every declared route, with its request schema when it takes a body', async () => {
    const document = await served();
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    const missing: string[] = [];
    for (const r of routes) {
      const op = operationOf(document, r);
      if (!op) missing.push(`${r.method} ${r.path}`);
      else if (r.body && !op.requestBody?.content['application/json']?.schema)
        missing.push(`${r.method} ${r.path} body`);
      for (const status of Object.keys(r.responses)) {
        if (op && !op.responses[status]) missing.push(`${r.method} ${r.path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('gives every operation a unique operationId', async () => {
    const document = await served();
    const ids = Object.values(document.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(routes.length);
  });

  it('declares the security schemes: bearer JWT, API key, session cookie and operator token', async () => {
    const { components } = await served();
    expect(components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apiKey: { type: 'http', scheme: 'bearer' },
      cookieAuth: { type: 'apiKey', in: 'cookie', name: '__Host-access' },
      adminToken: { type: 'http', scheme: 'bearer' },
    });
  });

  it('keeps no $ref that points outside the document', async () => {
    const text = JSON.stringify(await served());
    const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map((match) => match[1]!);
    expect(refs.filter((target) => !target.startsWith('#/components/'))).toEqual([]);
  });
});

describe('the document generator', () => {
  const Body = v.strictObject({
    name: v.pipe(v.string(), v.minLength(1), v.examples(['phone'])),
    count: v.pipe(v.string(), v.transform(Number)),
    checked: v.custom<string>((input) => typeof input === 'string'),
  });
  const limited = route({
    method: 'POST',
    path: '/v1/things/:id/parts/:part',
    summary: 'A limited route',
    tag: 'Test',
    access: 'public',
    ipLimit: 'auth',
    body: Body,
    query: v.object({ after: v.optional(v.string()) }),
    responses: { 201: { description: 'Made.', schema: v.object({ id: v.string() }) }, 409: { description: 'Taken.' } },
    handle: () => json({}),
  });
  const user = route({
    method: 'GET',
    path: '/v1/things',
    summary: 'A user route',
    tag: 'Test',
    access: 'user',
    scope: 'read',
    responses: { 200: { description: 'Things.' } },
    handle: () => json({}),
  });
  const admin = route({ ...user, path: '/v1/admin/things', access: 'admin' });
  const document = buildDocument([limited, user, admin], '1.2.3');

  it('turns itty path parameters into required OpenAPI path parameters', () => {
    const op = operationOf(document, limited)!;
    expect(document.paths['/v1/things/{id}/parts/{part}']).toBeDefined();
    const path = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
    expect(path).toEqual(['id', 'part']);
  });

  it('documents query fields as query parameters and the body with its example', () => {
    const op = operationOf(document, limited)!;
    expect(op.parameters.find((p) => p.in === 'query')).toMatchObject({ name: 'after', required: false });
    const body = op.requestBody!.content['application/json']!.schema;
    expect(body).toMatchObject({ type: 'object', required: ['name', 'count', 'checked'], additionalProperties: false });
    expect((body.properties as Record<string, unknown>).name).toMatchObject({ type: 'string', examples: ['phone'] });
  });

  it('survives schemas with transforms and custom checks', () => {
    const converter = new SchemaConverter();
    expect(converter.convert(v.pipe(v.string(), v.transform(Number), v.number()), 'output')).toEqual({
      type: 'number',
    });
    expect(
      converter.convert(
        v.custom(() => true),
        'input',
      ),
    ).toEqual({});
  });

  it('hoists recursive definitions into components.schemas', () => {
    type Node = { children: Node[] };
    const Tree: v.GenericSchema<Node> = v.object({ children: v.array(v.lazy(() => Tree)) });
    const converter = new SchemaConverter();
    const schema = converter.convert(Tree, 'output');
    const names = Object.keys(converter.definitions);
    expect(names.length).toBeGreaterThan(0);
    expect(JSON.stringify(schema)).toContain(`#/components/schemas/${names[0]}`);
    expect(JSON.stringify(schema)).not.toContain('$defs');
  });

  it('adds the error responses that follow from body, limits and access', () => {
    const statuses = (r: AnyRoute) => Object.keys(operationOf(document, r)!.responses).sort();
    expect(statuses(limited)).toEqual(['201', '400', '404', '409', '413', '429', '500', '504']);
    expect(statuses(user)).toEqual(['200', '401', '403', '429', '500', '504']);
    expect(statuses(admin)).toEqual(['200', '401', '404', '429', '500', '504']);
    const conflict = operationOf(document, limited)!.responses['409']!;
    expect(conflict.content).toEqual({
      'application/json': expect.objectContaining({ schema: { $ref: '#/components/schemas/Error' } }),
    });
  });

  it('gives each error response an example with the code of its status', () => {
    const responses = operationOf(document, limited)!.responses;
    const code = (status: string) =>
      (responses[status]!.content!['application/json'] as { example: { error: { code: string } } }).example.error.code;
    expect(['400', '409', '413', '429', '500', '504'].map(code)).toEqual([
      'invalid_request',
      'conflict',
      'payload_too_large',
      'rate_limited',
      'internal',
      'timeout',
    ]);
  });

  it('puts rate-limit headers on limited routes, retry-after on 429, x-request-id everywhere', () => {
    const created = operationOf(document, limited)!.responses;
    expect(Object.keys(created['201']!.headers!)).toEqual([
      'x-request-id',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ]);
    expect(created['429']!.headers).toHaveProperty('retry-after');
    expect(Object.keys(operationOf(document, admin)!.responses['200']!.headers!)).toEqual([
      'x-request-id',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ]);
  });

  it('asks users for a token, an API key with the route scope, or the cookie; admins for the operator token', () => {
    expect(operationOf(document, user)!.security).toEqual([
      { bearerAuth: [] },
      { apiKey: ['read'] },
      { cookieAuth: [] },
    ]);
    expect(operationOf(document, admin)!.security).toEqual([{ adminToken: [] }]);
    expect(operationOf(document, limited)!.security).toBeUndefined();
  });
});

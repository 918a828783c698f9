/** One route declaration as an OpenAPI operation: parameters, body, responses, security. */
import { MAX_BODY_BYTES } from '../http/body';
import type { AnyRoute, Responses } from '../route';
import { errorExample, ref } from './components';
import { firstExample, type SchemaConverter, type SchemaObject } from './schemas';

const PARAM = /:([A-Za-z0-9_]+)/g;

/** itty's `/v1/devices/:id` as OpenAPI's `/v1/devices/{id}`. */
export const openApiPath = (path: string): string => path.replace(PARAM, '{$1}');

const pathParams = (path: string): string[] => [...path.matchAll(PARAM)].map((match) => match[1]!);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`invalid_request`); `details` lists each field.',
  401: 'Missing or invalid credentials (`unauthorized`).',
  403: 'An API key without the scope this route needs (`forbidden`).',
  404: 'No such resource (`not_found`).',
  413: `A body over ${MAX_BODY_BYTES / 1024} KiB (\`payload_too_large\`).`,
  429: 'Too many requests (`rate_limited`); wait `retry-after` seconds.',
  500: 'An unexpected failure (`internal`); the body never shows internals.',
  504: 'The request passed its deadline (`timeout`).',
};

/** The error statuses a route can answer because of how it is declared. */
function errorStatuses(route: AnyRoute): number[] {
  const statuses = new Set([500, 504]);
  if (route.body || route.query) statuses.add(400);
  if (route.body) statuses.add(413);
  if (route.access !== 'public') statuses.add(401);
  if (route.access === 'user') statuses.add(403);
  if (route.access === 'admin' || pathParams(route.path).length > 0) statuses.add(404);
  if (isLimited(route)) statuses.add(429);
  return [...statuses];
}

const isLimited = (route: AnyRoute): boolean => route.ipLimit !== undefined || route.access !== 'public';

function limitNote(route: AnyRoute): string | null {
  if (route.ipLimit) return `Rate limit: the \`${route.ipLimit}\` bucket, per client IP.`;
  if (route.access === 'user') return 'Rate limit: the `api` bucket, per user.';
  if (route.access === 'admin') return 'Rate limit: the `admin` bucket, per client IP; only failed tokens count.';
  return null;
}

function security(route: AnyRoute): Record<string, string[]>[] | undefined {
  if (route.access === 'admin') return [{ adminToken: [] }];
  if (route.access === 'user') return [{ bearerAuth: [] }, { apiKey: [route.scope ?? 'write'] }, { cookieAuth: [] }];
  return undefined;
}

function responseHeaders(route: AnyRoute, status: number): Record<string, unknown> {
  const headers: Record<string, unknown> = { 'x-request-id': ref('headers', 'RequestId') };
  if (isLimited(route)) {
    headers['x-ratelimit-limit'] = ref('headers', 'RateLimitLimit');
    headers['x-ratelimit-remaining'] = ref('headers', 'RateLimitRemaining');
    headers['x-ratelimit-reset'] = ref('headers', 'RateLimitReset');
  }
  if (status === 429) headers['retry-after'] = ref('headers', 'RetryAfter');
  return headers;
}

function jsonContent(schema: SchemaObject, example = firstExample(schema)): Record<string, unknown> {
  return { 'application/json': example === undefined ? { schema } : { schema, example } };
}

function responses(route: AnyRoute, converter: SchemaConverter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses as Responses)) {
    const code = Number(status);
    let content: Record<string, unknown> | undefined;
    if (spec.schema) content = jsonContent(converter.convert(spec.schema, 'output'));
    else if (code >= 400) content = jsonContent(ref('schemas', 'Error'), errorExample(code));
    out[status] = { description: spec.description, headers: responseHeaders(route, code), ...(content && { content }) };
  }
  for (const code of errorStatuses(route)) {
    out[String(code)] ??= {
      description: ERROR_DESCRIPTIONS[code],
      headers: responseHeaders(route, code),
      content: jsonContent(ref('schemas', 'Error'), errorExample(code)),
    };
  }
  return out;
}

function queryParams(route: AnyRoute, converter: SchemaConverter): Record<string, unknown>[] {
  if (!route.query) return [];
  const schema = converter.convert(route.query, 'input');
  const properties = (schema.properties ?? {}) as Record<string, SchemaObject>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

/** The operation object of one route. */
export function operation(route: AnyRoute, converter: SchemaConverter): Record<string, unknown> {
  const parameters = [
    ...pathParams(route.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...queryParams(route, converter),
    ref('parameters', 'RequestId'),
  ];
  const auth = security(route);
  const note = limitNote(route);
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(note ? { description: note } : {}),
    tags: [route.tag],
    parameters,
    ...(route.body
      ? {
          requestBody: {
            required: !route.bodyOptional,
            description: `JSON, at most ${MAX_BODY_BYTES / 1024} KiB.`,
            content: jsonContent(converter.convert(route.body, 'input')),
          },
        }
      : {}),
    responses: responses(route, converter),
    ...(auth ? { security: auth } : {}),
  };
}

/** `GET /v1/devices/:id` → `getV1DevicesId`: unique, since method and path are. */
export function operationId(route: AnyRoute): string {
  const words = route.path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return [route.method.toLowerCase(), ...words.map((word) => word[0]!.toUpperCase() + word.slice(1))].join('');
}

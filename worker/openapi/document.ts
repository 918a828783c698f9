/**
 * The OpenAPI 3.1 document, generated from the route declarations: the same valibot schemas
 * that validate requests describe them.
 */
import type { AnyRoute } from '../route';
import { ErrorBody, headers, parameters, securitySchemes } from './components';
import { openApiPath, operation } from './operation';
import { SchemaConverter } from './schemas';
import { webhooks } from './webhooks';

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, Record<string, unknown>>>;
  /** Events this backend POSTs to the app's WEBHOOK_URL. */
  webhooks: Record<string, Record<string, unknown>>;
  components: Record<string, unknown>;
}

const DESCRIPTION = [
  'JSON in and out under `/v1`. Every response carries `x-request-id`; every error has the shape',
  '`{"error": {"code", "message", "request_id", "details"}}`. Authenticate with an access token,',
  'an API key (both as `Authorization: Bearer`) or the `__Host-` session cookies.',
].join(' ');

export function buildDocument(routes: readonly AnyRoute[], version: string): OpenApiDocument {
  const converter = new SchemaConverter();
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  const ids = new Set<string>();
  for (const route of routes) {
    const op = operation(route, converter);
    let id = op.operationId as string;
    for (let n = 2; ids.has(id); n++) id = `${op.operationId}${n}`;
    ids.add(id);
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = { ...op, operationId: id };
    if (!tags.includes(route.tag)) tags.push(route.tag);
  }
  return {
    openapi: '3.1.1',
    info: { title: 'durable-backend API', version, description: DESCRIPTION },
    tags: [...tags, 'Webhooks'].map((name) => ({ name })),
    paths,
    webhooks: webhooks(converter),
    components: {
      schemas: { Error: converter.convert(ErrorBody, 'output'), ...converter.definitions },
      headers,
      parameters,
      securitySchemes,
    },
  };
}

let cached: { routes: readonly AnyRoute[]; version: string; document: OpenApiDocument } | null = null;

/** The document for these routes, built once per isolate. */
export function openApiDocument(routes: readonly AnyRoute[], version: string): OpenApiDocument {
  if (cached?.routes !== routes || cached.version !== version) {
    cached = { routes, version, document: buildDocument(routes, version) };
  }
  return cached.document;
}

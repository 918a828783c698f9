/**
 * A route is declared once, as data: its path, auth, limits, and the valibot schemas that
 * both validate its input and document it in /openapi.json.
 */
import type * as v from 'valibot';
import type { RateLimitBucket } from '../core/config';
import type { RequestContext } from './context';

/** The per-IP buckets: sign-in routes, token refresh, WebSocket upgrades. */
export type IpBucket = Extract<RateLimitBucket, 'auth' | 'refresh' | 'connect'>;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who may call a route: anyone, a signed-in user (optionally an API key with a scope), or the operator. */
export type Access = 'public' | 'user' | 'admin';

type Schema = v.GenericSchema;
type Infer<S> = S extends Schema ? v.InferOutput<S> : undefined;

export interface ResponseSpec {
  description: string;
  schema?: Schema;
}

export interface RouteInput<B, Q> {
  request: Request;
  rc: RequestContext;
  params: Record<string, string>;
  body: Infer<B>;
  query: Infer<Q>;
}

export interface Route<
  B extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
> {
  method: Method;
  /** itty-router pattern, such as `/v1/devices/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /**
   * What an API key needs to call this route (default `write`); `account` routes (password,
   * MFA, keys, deletion) take a signed-in session and no API key at all.
   */
  scope?: 'read' | 'write' | 'account';
  /** Per-IP limit for unauthenticated routes (authenticated ones share the per-user `api` bucket). */
  ipLimit?: IpBucket;
  body?: B;
  /** An absent body (no bytes at all) reads as `{}`: for clients that cannot send one. */
  bodyOptional?: boolean;
  query?: Q;
  responses: Record<number, ResponseSpec>;
  handle(input: RouteInput<B, Q>): Promise<Response> | Response;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes
export type AnyRoute = Route<any, any>;

/** Declares a route with its input types inferred from its schemas. */
export const route = <B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined>(
  spec: Route<B, Q>,
): Route<B, Q> => spec;

/** A JSON response. */
export const json = (data: unknown, status = 200, headers?: HeadersInit): Response =>
  Response.json(data, { status, headers });

export const noContent = (headers?: HeadersInit): Response => new Response(null, { status: 204, headers });

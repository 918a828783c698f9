/**
 * A route is declared once, as data: its path, auth, limits, and the valibot schemas that
 * validate its input, type its answers and document both in /openapi.json.
 */
import type * as v from 'valibot';
import type { RateLimitBucket } from '../core/config';
import type { RequestContext, SignedInContext } from './context';

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

export type Responses = Record<number, ResponseSpec>;

/** What a handler may answer with `status`: the input type of that status's declared schema. */
export type ReplyData<R extends Responses, S extends keyof R> = R[S] extends { schema: infer X extends Schema }
  ? v.InferInput<X>
  : unknown;

export interface RouteInput<B, Q, A extends Access, R extends Responses> {
  request: Request;
  /** For `access: 'user'`, a context whose principal is always there. */
  rc: A extends 'user' ? SignedInContext : RequestContext;
  params: Record<string, string>;
  body: Infer<B>;
  query: Infer<Q>;
  /** A JSON answer whose body the type system checks against `responses[status].schema`. */
  reply<S extends keyof R & number>(status: S, data: ReplyData<R, S>, headers?: HeadersInit): Response;
}

export interface Route<
  B extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  A extends Access = Access,
  R extends Responses = Responses,
> {
  method: Method;
  /** itty-router pattern, such as `/v1/devices/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: A;
  /**
   * What an API key needs to call this route (default `write`); `account` routes (password,
   * MFA, keys, deletion) take a signed-in session and no API key at all.
   */
  scope?: 'read' | 'write' | 'account' | 'connections:read';
  /**
   * `handler`: the pipeline only identifies the caller (`rc.principal`, with no `amr` or
   * `authTime`), and the handler has the user's actor admit it in the same RPC as its work,
   * through `admitted()` (worker/auth/authenticate.ts). Saves a round trip on hot routes.
   */
  admitIn?: 'handler';
  /** Per-IP limit for unauthenticated routes (authenticated ones share the per-user `api` bucket). */
  ipLimit?: IpBucket;
  body?: B;
  /** An absent body (no bytes at all) reads as `{}`: for clients that cannot send one. */
  bodyOptional?: boolean;
  /** A larger body limit than the 64 KiB default: operator routes that load data only. */
  maxBodyBytes?: number;
  query?: Q;
  responses: R;
  handle(input: RouteInput<B, Q, A, R>): Promise<Response> | Response;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes
export type AnyRoute = Route<any, any, any, any>;

/** Declares a route with its input and answer types inferred from its schemas. */
export const route = <
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  const A extends Access = Access,
  const R extends Responses = Responses,
>(
  spec: Route<B, Q, A, R>,
): Route<B, Q, A, R> => spec;

/** A JSON response. */
export const json = (data: unknown, status = 200, headers?: HeadersInit): Response =>
  Response.json(data, { status, headers });

export const noContent = (headers?: HeadersInit): Response => new Response(null, { status: 204, headers });

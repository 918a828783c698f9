/**
 * The closed list of errors the API answers with, and the one place they become responses.
 */
import type { Result } from '../core/result';

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  mfa_required: 401,
  reauth_required: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  connection_reauth_required: 409,
  resync_required: 409,
  payload_too_large: 413,
  account_locked: 423,
  rate_limited: 429,
  internal: 500,
  upstream_unavailable: 503,
  timeout: 504,
  quota_exceeded: 507,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_request: 'The request is not valid.',
  unauthorized: 'Authentication is required.',
  mfa_required: 'A second factor is required to finish signing in.',
  reauth_required: 'This change needs a recent sign-in.',
  forbidden: 'You are not allowed to do this.',
  not_found: 'Not found.',
  conflict: 'The request conflicts with the current state.',
  connection_reauth_required: 'The provider needs you to sign in with it again: follow `link_url`.',
  resync_required: 'The log was compacted past this point; fetch the snapshot, then replay after its head.',
  payload_too_large: 'The request body is too large.',
  account_locked: 'Too many failed sign-ins; the account is locked for a while.',
  rate_limited: 'Too many requests; retry later.',
  internal: 'Something went wrong on our side.',
  upstream_unavailable: 'A service we depend on is unavailable.',
  timeout: 'The request took too long.',
  quota_exceeded: 'The event log is full; delete or let events expire before appending more.',
};

export interface Issue {
  path: string;
  message: string;
}

/** An expected failure with a public message. Anything else thrown is a bug: a bare 500. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string = DEFAULT_MESSAGE[code],
    readonly extra: {
      details?: Issue[];
      headers?: Record<string, string>;
      /** Fields beside `error` in the body, such as `mfa_token`. */
      body?: Record<string, unknown>;
      /** Fields inside `error`, after the standard ones, such as `horizon`. */
      error?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
  }
}

/**
 * The value of a result, or the ApiError its failure maps to: the one way the edge turns a
 * `Result` from core/db or an actor into the error shape.
 */
export function orFail<T, E extends { type: string }>(
  result: Result<T, E>,
  failures: { [K in E['type']]: () => ApiError },
): T {
  if (result.ok) return result.value;
  throw failures[result.error.type as E['type']]();
}

const INVALID_FIELDS = 'The request has invalid fields.';

/** 400 `invalid_request` listing the fields at fault: the one shape of a validation failure. */
export const invalidFields = (details: Issue[]) => new ApiError('invalid_request', INVALID_FIELDS, { details });

/** 400 `invalid_request` for one field. */
export const invalidField = (path: string, message: string) => invalidFields([{ path, message }]);

/** Maps anything thrown to the error shape; internals of unexpected errors never leave. */
export function errorResponse(error: unknown, requestId: string): Response {
  const known = error instanceof ApiError ? error : new ApiError('internal');
  const body = {
    error: {
      code: known.code,
      message: known.message,
      request_id: requestId,
      details: known.extra.details ?? [],
      ...known.extra.error,
    },
    ...known.extra.body,
  };
  return Response.json(body, {
    status: ERROR_STATUS[known.code],
    headers: known.extra.headers,
  });
}

/** The parts every operation shares: the error shape, common headers, security schemes. */
import * as v from 'valibot';
import { ApiError, ERROR_STATUS, type ErrorCode } from '../errors';

const EXAMPLE_REQUEST_ID = '3f0c2a9e-5b1d-4c8e-9a7f-2d6b1e4c8a90';

/** The error body of DESIGN.md §2, as `errorResponse` writes it. */
export const ErrorBody = v.pipe(
  v.object({
    error: v.object({
      code: v.picklist(Object.keys(ERROR_STATUS) as ErrorCode[]),
      message: v.string(),
      request_id: v.string(),
      details: v.array(v.object({ path: v.string(), message: v.string() })),
    }),
  }),
  v.examples([
    {
      error: {
        code: 'invalid_request',
        message: 'The request has invalid fields.',
        request_id: EXAMPLE_REQUEST_ID,
        details: [{ path: 'email', message: 'must be an email address' }],
      },
    },
  ]),
);

/** An error body as the API writes it for this status, or undefined for a status without a code. */
export function errorExample(status: number): unknown {
  const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((name) => ERROR_STATUS[name] === status);
  if (!code) return undefined;
  const details = code === 'invalid_request' ? [{ path: 'email', message: 'must be an email address' }] : [];
  return { error: { code, message: new ApiError(code).message, request_id: EXAMPLE_REQUEST_ID, details } };
}

export const ref = (kind: 'schemas' | 'headers' | 'parameters', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

const integerHeader = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });

export const headers = {
  RequestId: {
    description: 'The id of this request, in logs and error bodies (a valid incoming one is echoed).',
    schema: { type: 'string' },
  },
  RateLimitLimit: integerHeader('Requests allowed in the current window.'),
  RateLimitRemaining: integerHeader('Requests left in the current window.'),
  RateLimitReset: integerHeader('Seconds until the window resets.'),
  RetryAfter: integerHeader('Seconds to wait before retrying.'),
};

export const parameters = {
  RequestId: {
    name: 'x-request-id',
    in: 'header',
    required: false,
    description: 'Your own request id, echoed back when it matches the pattern.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$' },
  },
};

export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token (ES256 JWT, 15 minutes) from signup, login, MFA or refresh.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'API key',
    description:
      'An API key from `POST /v1/me/api-keys`, sent as a bearer token; its scopes (`read`, `write`) limit it.',
  },
  cookieAuth: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-access',
    description: 'Cookie mode (`?mode=cookie`); unsafe methods also need an allowed `Origin`.',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator secret `ADMIN_TOKEN`; these routes do not exist when it is unset.',
  },
};

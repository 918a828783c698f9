/** Test helpers: requests through the real Worker, as a client would send them. */
import { env, exports } from 'cloudflare:workers';
import type { Profile } from '../core/db/users';
import type { AuditEntry } from '../objects/user/api';

export const BASE = 'http://127.0.0.1:8787';

export interface CallOptions extends Omit<RequestInit, 'body'> {
  body?: unknown;
  ip?: string;
  token?: string;
}

let ipCounter = 0;
/** A fresh client address, so per-IP limits of one test do not spill into the next. */
export const freshIp = (): string => {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
};

export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const { body, ip, token, headers, ...rest } = options;
  const h = new Headers(headers);
  h.set('cf-connecting-ip', ip ?? freshIp());
  if (token) h.set('authorization', `Bearer ${token}`);
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!h.has('content-type')) h.set('content-type', 'application/json');
  }
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...rest, headers: h, body: payload }));
}

export interface ErrorBody {
  error: { code: string; message: string; request_id: string; details: { path: string; message: string }[] };
}

export async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
  const body = (await response.json()) as ErrorBody;
  if (response.status !== status || body.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${response.status} ${JSON.stringify(body)}`);
  }
  if (typeof body.error.message !== 'string' || body.error.request_id !== response.headers.get('x-request-id')) {
    throw new Error(`error shape broken: ${JSON.stringify(body)}`);
  }
  return body;
}

export interface Tokens {
  user: Profile;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

let userCounter = 0;
export const uniqueEmail = (label = 'user'): string => {
  userCounter += 1;
  return `${label}-${userCounter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
};

export const PASSWORD = 'correct horse battery staple';

/** Signs up a new user from a fresh address and returns the tokens. */
export async function signup(
  options: { email?: string; password?: string; name?: string } = {},
): Promise<Tokens & { email: string; password: string }> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? PASSWORD;
  const response = await call('/v1/auth/signup', { method: 'POST', body: { email, password, name: options.name } });
  if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${await response.text()}`);
  return { ...((await response.json()) as Tokens), email, password };
}

export async function login(email: string, password: string, ip?: string): Promise<Response> {
  return call('/v1/auth/login', { method: 'POST', body: { email, password }, ip });
}

/** The account's audit trail, oldest first, as the user's actor keeps it. */
export async function auditTrail(userId: string): Promise<AuditEntry[]> {
  const { entries } = await env.USER.getByName(userId).listAudit(1000, null);
  return entries.reverse();
}

export const auditTypes = async (userId: string): Promise<string[]> => (await auditTrail(userId)).map((e) => e.type);

/** The details of each audit entry of `type`, oldest first. */
export const auditDetails = async (userId: string, type: string) =>
  (await auditTrail(userId)).filter((e) => e.type === type).map((e) => e.details);

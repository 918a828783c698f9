/** Cookie mode: `__Host-` cookies (Secure, httpOnly, SameSite=Lax, Path=/) parsed and written by `cookie`. */
import { parse, serialize } from 'cookie';
import { ACCESS_TOKEN_TTL_S } from '../../core/jwt';
import { SESSION_IDLE_MS } from '../../objects/user/api';

export const ACCESS_COOKIE = '__Host-access';
export const REFRESH_COOKIE = '__Host-refresh';

const base = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get('cookie');
  if (!header) return null;
  return parse(header)[name] ?? null;
}

export function sessionCookies(accessToken: string, refreshToken: string): string[] {
  return [
    serialize(ACCESS_COOKIE, accessToken, { ...base, maxAge: ACCESS_TOKEN_TTL_S }),
    serialize(REFRESH_COOKIE, refreshToken, { ...base, maxAge: SESSION_IDLE_MS / 1000 }),
  ];
}

export function clearedCookies(): string[] {
  return [serialize(ACCESS_COOKIE, '', { ...base, maxAge: 0 }), serialize(REFRESH_COOKIE, '', { ...base, maxAge: 0 })];
}

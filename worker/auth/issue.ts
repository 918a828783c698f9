/** Turning an opened session into the answer a client gets: tokens in the body, or cookies. */
import type { Profile } from '../../core/db/users';
import { ACCESS_TOKEN_TTL_S, signAccessToken } from '../../core/jwt';
import type { IssuedSession } from '../../objects/user/api';
import type { RequestContext } from '../context';
import { json } from '../route';
import { sessionCookies } from './cookies';

export async function tokensResponse(
  rc: RequestContext,
  profile: Profile,
  session: IssuedSession,
  mode: 'cookie' | 'body' | undefined,
  status = 200,
): Promise<Response> {
  const accessToken = await signAccessToken(rc.config.jwt, {
    sub: profile.id,
    sid: session.sessionId,
    amr: session.amr,
    auth_time: Math.floor(session.authTime / 1000),
  });
  const base = { user: profile, expires_in: ACCESS_TOKEN_TTL_S, token_type: 'Bearer' as const };
  if (mode === 'cookie') {
    const headers = new Headers();
    for (const cookie of sessionCookies(accessToken, session.refreshToken)) headers.append('set-cookie', cookie);
    return json(base, status, headers);
  }
  return json({ ...base, access_token: accessToken, refresh_token: session.refreshToken }, status);
}

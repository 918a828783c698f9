/**
 * Tokens that route to a user's actor: `<user id>.<256 random bits>`. Refresh tokens, mfa_tokens
 * and OAuth login codes share the shape; only their SHA-256 is stored, by the user's actor.
 */
import { randomId } from './encoding';

const USER_TOKEN = /^([A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{43}$/;

export const newUserToken = (userId: string): string => `${userId}.${randomId(32)}`;

/** The user id a token claims to belong to, or null for anything not of the shape. */
export const userIdOf = (token: string): string | null => USER_TOKEN.exec(token)?.[1] ?? null;

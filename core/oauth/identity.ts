/** Who the provider says the user is, from a verified ID token, a userinfo answer, or GitHub's API. */
import * as v from 'valibot';
import type { UserinfoFields } from '../config';
import { err, ok, type Result } from '../result';
import { bearerGet } from './client';
import { readJson } from './http';
import { GITHUB_EMAILS_URL } from './presets';
import type { Provider } from './provider';

export interface Identity {
  subject: string;
  email: string | null;
  /** True only when the provider says so explicitly. */
  emailVerified: boolean;
  name: string | null;
}

export type IdentityFailure = { type: 'invalid'; reason: string } | { type: 'unavailable' };

const Claims = v.looseObject({
  sub: v.optional(v.union([v.pipe(v.string(), v.minLength(1), v.maxLength(255)), v.number()])),
  id: v.optional(v.union([v.pipe(v.string(), v.minLength(1), v.maxLength(255)), v.number()])),
  email: v.optional(v.nullable(v.string())),
  email_verified: v.optional(v.unknown()),
  name: v.optional(v.nullable(v.string())),
  login: v.optional(v.string()),
});

const GithubEmails = v.array(v.looseObject({ email: v.string(), primary: v.boolean(), verified: v.boolean() }));

const getJson = async (provider: Provider, accessToken: string, url?: string) => {
  const response = await bearerGet(provider, accessToken, url);
  return response.ok ? readJson(response.value) : response;
};

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

/** The value at a dotted path of a JSON answer (`data.id`), or undefined. */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, key))
      return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The standard claims of a userinfo answer, each read where `fields` says (X answers
 * `{"data": {"id", "name", "username"}}`); a field not mapped is read as the standard claim.
 */
export function claimsAt(answer: unknown, fields: UserinfoFields): Record<string, unknown> {
  const base = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? answer : {};
  const mapped: Record<string, unknown> = { ...base };
  if (fields.subject) {
    mapped.sub = at(answer, fields.subject);
    delete mapped.id;
  }
  if (fields.email) mapped.email = at(answer, fields.email);
  if (fields.email_verified) mapped.email_verified = at(answer, fields.email_verified);
  if (fields.name) mapped.name = at(answer, fields.name);
  return mapped;
}

/** Reads the standard claims (`sub`/`id`, `email`, `email_verified`, `name`). */
export function identityFromClaims(claims: Record<string, unknown>): Result<Identity, IdentityFailure> {
  const parsed = v.safeParse(Claims, claims);
  if (!parsed.success) return err({ type: 'invalid', reason: 'claims' });
  const c = parsed.output;
  const subject = c.sub ?? c.id;
  if (subject === undefined) return err({ type: 'invalid', reason: 'subject' });
  const email = c.email && EMAIL.test(c.email) ? c.email : null;
  return ok({
    subject: String(subject),
    email,
    emailVerified: email !== null && (c.email_verified === true || c.email_verified === 'true'),
    name: c.name ?? c.login ?? null,
  });
}

export async function identityFromUserinfo(
  provider: Provider,
  accessToken: string,
): Promise<Result<Identity, IdentityFailure>> {
  if (!provider.userinfoEndpoint) return err({ type: 'invalid', reason: 'no_userinfo' });
  const answer = await getJson(provider, accessToken);
  if (!answer.ok)
    return answer.error.type === 'unavailable'
      ? err({ type: 'unavailable' })
      : err({ type: 'invalid', reason: 'userinfo' });
  const identity = identityFromClaims(claimsAt(answer.value, provider.userinfoFields));
  if (!identity.ok || provider.identity !== 'github') return identity;
  // GitHub's /user carries only the public email and no verified flag: ask for the list.
  const emails = await getJson(provider, accessToken, GITHUB_EMAILS_URL);
  const list = emails.ok ? v.safeParse(GithubEmails, emails.value) : null;
  const primary = list?.success ? list.output.find((e) => e.primary && e.verified) : undefined;
  return ok(
    primary
      ? { ...identity.value, email: primary.email, emailVerified: true }
      : { ...identity.value, emailVerified: false },
  );
}

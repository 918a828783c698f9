/** PKCE (RFC 7636) with the S256 method, plus the state and nonce values of an authorization request. */
import { randomId } from '../encoding';
import { challengeOf, newVerifier } from './client';

export { challengeOf };

export interface AuthorizationSecrets {
  /** 256 bits: names the flow's single-use record. */
  state: string;
  /** 128 bits, bound into the ID token by OIDC providers. */
  nonce: string;
  /** 256 bits as 43 characters, inside RFC 7636's 43 to 128. */
  verifier: string;
  challenge: string;
}

export async function newAuthorizationSecrets(): Promise<AuthorizationSecrets> {
  const verifier = newVerifier();
  return { state: randomId(32), nonce: randomId(16), verifier, challenge: await challengeOf(verifier) };
}

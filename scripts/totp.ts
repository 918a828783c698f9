/** `npm run --silent totp -- <base32 secret>`: the current TOTP code, for trying MFA locally. */
import { base32 } from '@otplib/plugin-base32-scure';
import { crypto } from '@otplib/plugin-crypto-noble';
import { generate } from '@otplib/totp';
import { fail, parseCommand } from './cli.ts';

const USAGE = `Usage: npm run --silent totp -- <base32 secret>

Prints the current 6-digit TOTP code of the secret (what an authenticator app shows), for
trying MFA locally: the secret is the "secret" field of POST /v1/me/mfa/totp.`;

const { positionals } = parseCommand({ name: 'totp', usage: USAGE, positionals: { min: 1, max: 1 } });
const secret = positionals[0]!.replace(/[\s=]/g, '').toUpperCase();
// 26 base32 characters are the 16 bytes otplib requires at least.
if (!/^[A-Z2-7]{26,103}$/.test(secret)) fail('totp', 'the secret must be 26 to 103 base32 characters (A-Z, 2-7)', 2);
try {
  console.log(await generate({ secret, crypto, base32 }));
} catch {
  fail('totp', 'the secret is not valid base32', 2);
}

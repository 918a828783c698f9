/** `npm run --silent totp -- <base32 secret>`: the current TOTP code, for trying MFA locally. */
import { base32 } from '@otplib/plugin-base32-scure';
import { crypto } from '@otplib/plugin-crypto-noble';
import { generate } from '@otplib/totp';

const secret = process.argv[2];
if (!secret) {
  console.error('usage: npm run --silent totp -- <base32 secret>');
  process.exit(2);
}
console.log(await generate({ secret, crypto, base32 }));

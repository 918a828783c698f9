/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, ±1 step) through otplib v13, and the QR code
 * of its otpauth:// URI through uqr.
 */
import { generateSecret } from '@otplib/core';
import { base32 } from '@otplib/plugin-base32-scure';
import { crypto as nobleCrypto } from '@otplib/plugin-crypto-noble';
import { verifySync } from '@otplib/totp';
import { generateTOTP } from '@otplib/uri';
import { renderSVG } from 'uqr';
import { randomBytes } from './encoding';

export const TOTP_PERIOD_S = 30;

/** The additional data a TOTP secret is sealed with: a secret moved to another user does not open. */
export const totpContext = (userId: string) => `totp:${userId}`;

export const newTotpSecret = (): string => generateSecret({ crypto: nobleCrypto, base32 });

export const otpauthUri = (secret: string, issuer: string, account: string): string =>
  generateTOTP({ secret, issuer, label: account, algorithm: 'sha1', digits: 6, period: TOTP_PERIOD_S });

export const qrSvg = (text: string): string => renderSVG(text);

/**
 * The time step a code belongs to (current, previous or next), or null. Steps at or before
 * `afterStep` are refused, so a code is accepted once only.
 */
export function verifyTotp(secret: string, code: string, afterStep: number | null, nowMs = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  try {
    const result = verifySync({
      secret,
      token: code,
      crypto: nobleCrypto,
      base32,
      epoch: Math.floor(nowMs / 1000),
      period: TOTP_PERIOD_S,
      epochTolerance: TOTP_PERIOD_S,
      ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
    });
    return result.valid ? result.timeStep : null;
  } catch {
    return null;
  }
}

/**
 * Backup codes: 25 base32 characters (125 random bits), shown as `xxxxx-xxxxx-xxxxx-xxxxx-xxxxx`.
 * That many bits keep a stolen table of their SHA-256 digests out of reach of a search.
 */
export function newBackupCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const text = base32.encode(randomBytes(16)).slice(0, 25).toLowerCase();
    return [0, 5, 10, 15, 20].map((at) => text.slice(at, at + 5)).join('-');
  });
}

/** The canonical form of a typed backup code: lower case, no separators or spaces. */
export const normalizeBackupCode = (code: string): string => code.toLowerCase().replace(/[\s-]/g, '');

/** A typed backup code, in any case and grouping; 10 characters is the shape issued before 125-bit codes. */
export const isBackupCode = (code: string): boolean => /^([a-z2-7]{25}|[a-z2-7]{10})$/.test(normalizeBackupCode(code));

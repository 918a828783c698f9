/** Request and response shapes of MFA (DESIGN.md §4 and the MFA step of §3). */
import * as v from 'valibot';
import { isBackupCode } from '../totp';
import { PasswordInput } from './common';

/** A 6-digit TOTP code or a backup code (any case; dashes and spaces between characters ignored). */
export const Code = v.pipe(
  v.string(),
  v.maxLength(64, 'must be a 6-digit code or a backup code'),
  v.trim(),
  v.check((code) => /^\d{6}$/.test(code) || isBackupCode(code), 'must be a 6-digit code or a backup code'),
);
export const TotpCode = v.pipe(v.string(), v.trim(), v.regex(/^\d{6}$/, 'must be a 6-digit code'));

export const MfaLogin = v.strictObject({ mfa_token: v.pipe(v.string(), v.maxLength(256)), code: Code });
export const ConfirmTotp = v.strictObject({ code: TotpCode });
export const DisableTotp = v.strictObject({ password: v.optional(PasswordInput), code: Code });
export const RegenerateBackupCodes = v.strictObject({ code: TotpCode });

export const EnrolmentOut = v.object({ secret: v.string(), otpauth_uri: v.string(), qr_svg: v.string() });
export const BackupCodesOut = v.object({ backup_codes: v.array(v.string()) });
export const MfaRequiredOut = v.object({
  error: v.object({
    code: v.literal('mfa_required'),
    message: v.string(),
    request_id: v.string(),
    details: v.array(v.unknown()),
  }),
  mfa_token: v.string(),
});

/** The proof a sensitive change takes when the session's last sign-in is not recent (DESIGN.md §3, step-up). */
import * as v from 'valibot';
import { PasswordInput } from './common';
import { Code } from './mfa';

/** `password` (accounts that have one) or `code` (a TOTP or backup code, accounts with MFA on). */
export const StepUpProof = v.strictObject({ password: v.optional(PasswordInput), code: v.optional(Code) });
export type StepUpProof = v.InferOutput<typeof StepUpProof>;

/** The `reauth` member that every step-up route's body may carry. */
const StepUpField = { reauth: v.optional(StepUpProof) };

/** A route's body schema with the optional `reauth` member added. */
export const withStepUp = <E extends v.ObjectEntries>(body: v.StrictObjectSchema<E, undefined>) =>
  v.strictObject({ ...body.entries, ...StepUpField });

/** The body of a step-up route that takes nothing else. */
export const StepUpOnly = v.strictObject(StepUpField);

export const ReauthRequiredOut = v.object({
  error: v.object({
    code: v.literal('reauth_required'),
    message: v.string(),
    request_id: v.string(),
    details: v.array(v.unknown()),
  }),
  proofs: v.array(v.picklist(['password', 'otp'])),
  max_age_s: v.number(),
});

/** Request shapes of the email flows: verification, password reset, email change (DESIGN.md §3). */
import * as v from 'valibot';
import { Email, PasswordInput } from './common';

/** A token from an emailed link, as the app page posts it back. */
const LinkToken = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(200, 'is not a valid token'));

export const LinkTokenBody = v.strictObject({ token: LinkToken });
export const ForgotPassword = v.strictObject({ email: Email });
export const ResetPassword = v.strictObject({ token: LinkToken, new_password: PasswordInput });
export const ChangeEmail = v.strictObject({ new_email: Email });

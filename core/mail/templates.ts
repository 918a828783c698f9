/**
 * The emails this backend sends: plain text plus simple HTML, from fixed wording, the app's
 * name (`APP_NAME`) and links under `APP_URL`. Nothing a user typed is put into a message, so
 * no user-controlled HTML can reach an inbox; the operator's values are escaped all the same.
 */
import type { NoticeKind } from '../config';

/** Messages that carry a single-use link, and the app page each link opens. */
const LINKS = {
  verify_email: '/verify-email',
  password_reset: '/reset-password',
  email_change: '/confirm-email-change',
  email_change_undo: '/undo-email-change',
} as const;

export type LinkKind = keyof typeof LINKS;
export type EmailKind = LinkKind | `notice.${NoticeKind}`;

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
  kind: EmailKind;
}

export interface Brand {
  appName: string;
  appUrl: string;
}

const LINK_WORDING: Record<LinkKind, { subject: string; lead: string; action: string; tail: string }> = {
  verify_email: {
    subject: 'Confirm your email address',
    lead: 'Please confirm that this address belongs to your account.',
    action: 'Confirm my email',
    tail: 'The link works once, for 24 hours. If you did not sign up, ignore this message.',
  },
  password_reset: {
    subject: 'Reset your password',
    lead: 'Someone asked to reset the password of the account with this address.',
    action: 'Choose a new password',
    tail: 'The link works once, for 30 minutes. If it was not you, ignore this message: nothing changes.',
  },
  email_change: {
    subject: 'Confirm your new email address',
    lead: 'Your account asked to use this address from now on.',
    action: 'Use this address',
    tail: 'The link works once, for 24 hours. If it was not you, ignore this message.',
  },
  email_change_undo: {
    subject: 'Your email address is about to change',
    lead: 'Someone asked to move your account to another email address. It changes once the new address is confirmed.',
    action: 'This was not me: keep this address',
    tail: 'The link works once, for 7 days, and also signs out every session of the account.',
  },
};

const NOTICE_WORDING: Record<NoticeKind, string> = {
  account_locked: 'Your account was locked after repeated failed sign-ins.',
  password_changed: 'The password of your account was changed.',
  password_reset: 'The password of your account was reset with an emailed link; every session was signed out.',
  mfa_enabled: 'Two-factor authentication was turned on for your account.',
  mfa_disabled: 'Two-factor authentication was turned off for your account.',
  backup_codes: 'New backup codes were created for your account; the old ones no longer work.',
  api_key_created: 'A new API key was created for your account.',
  device_registered: 'A new device was registered to your account.',
  new_sign_in: 'Your account was signed in to from a device or address not seen before.',
  erasure_scheduled: 'Your account is scheduled to be deleted.',
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function page(brand: Brand, paragraphs: string[], link?: { href: string; label: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`);
  if (link) body.splice(1, 0, `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`);
  return `<!doctype html><html><body>${body.join('')}<p>— ${escapeHtml(brand.appName)}</p></body></html>`;
}

/** The link a `kind` message carries: the app's page, with the token as a `token` query parameter. */
export function linkFor(brand: Brand, kind: LinkKind, token: string): string {
  const url = new URL(`${brand.appUrl}${LINKS[kind]}`);
  url.searchParams.set('token', token);
  return url.toString();
}

/** A message with a single-use link to `to`. */
export function linkEmail(brand: Brand, kind: LinkKind, to: string, token: string): Email {
  const words = LINK_WORDING[kind];
  const href = linkFor(brand, kind, token);
  return {
    to,
    kind,
    subject: `${brand.appName}: ${words.subject}`,
    text: `${words.lead}\n\n${words.action}: ${href}\n\n${words.tail}\n\n— ${brand.appName}\n`,
    html: page(brand, [words.lead, words.tail], { href, label: words.action }),
  };
}

/** A security notice to `to`: what happened, and what to do if it was not the owner. */
export function noticeEmail(brand: Brand, kind: NoticeKind, to: string): Email {
  const what = NOTICE_WORDING[kind];
  const advice = 'If this was not you, reset your password and review your sessions, API keys and devices.';
  return {
    to,
    kind: `notice.${kind}`,
    subject: `${brand.appName}: security notice`,
    text: `${what}\n\n${advice}\n\n— ${brand.appName}\n`,
    html: page(brand, [what, advice]),
  };
}

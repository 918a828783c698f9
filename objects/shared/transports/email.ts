/**
 * Sends one email through the configured transport (`EMAIL_TRANSPORT`): `log` writes it to the
 * log and sends nothing (refused in production), `webhook` posts it signed, `resend` calls
 * Resend's HTTP API, `cloudflare` uses the `send_email` binding.
 */
import type { Config } from '../../../core/config';
import { log } from '../../../core/log';
import type { Email } from '../../../core/mail/templates';
import { sendWithBinding } from './cloudflare';
import { sendWithResend } from './resend';
import { type Delivery, delivered, failed } from './result';
import { postSigned } from './signed-post';

/** The text's first link: what a developer clicks in the `log` transport's line. */
const firstLink = (text: string) => /https?:\/\/\S+/.exec(text)?.[0] ?? null;

export async function sendEmail(config: Config, env: Env, id: string, email: Email): Promise<Delivery> {
  const { transport } = config.email;
  if (transport === 'log') {
    // At warn, so it shows even where request lines are filtered out (`--log-level warn`).
    log('warn', 'email (log transport, not sent)', {
      message_id: id,
      to: email.to,
      kind: email.kind,
      subject: email.subject,
      link: firstLink(email.text),
    });
    return delivered();
  }
  if (transport === 'webhook') {
    if (!config.email.webhook) return failed('not configured');
    const { to, subject, text, html, kind } = email;
    return postSigned(config.email.webhook, id, { to, subject, text, html, kind });
  }
  if (!config.email.from) return failed('not configured');
  const from = { name: config.appName, address: config.email.from };
  if (transport === 'resend') return sendWithResend(config.email.resendApiKey ?? '', from, id, email);
  return sendWithBinding(env, from, id, email);
}

/** Resend's HTTP API (resend.com/docs/api-reference/emails/send-email); the message id is its idempotency key. */
import type { Email } from '../../../core/mail/templates';
import { type Delivery, post } from './result';

const ENDPOINT = 'https://api.resend.com/emails';

export function sendWithResend(
  apiKey: string,
  from: { name: string; address: string },
  id: string,
  email: Email,
): Promise<Delivery> {
  const body = JSON.stringify({
    from: `${from.name.replace(/["<>]/g, '')} <${from.address}>`,
    to: [email.to],
    subject: email.subject,
    text: email.text,
    html: email.html,
  });
  return post(ENDPOINT, { authorization: `Bearer ${apiKey}`, 'idempotency-key': id }, body);
}

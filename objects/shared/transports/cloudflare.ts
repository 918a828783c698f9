/** Cloudflare Email Service: the `send_email` binding (`SEND_EMAIL`) with a MIME message from mimetext. */
import { EmailMessage } from 'cloudflare:email';
import { describeError, log } from '../../../core/log';
import { mimeOf } from '../../../core/mail/mime';
import type { Email } from '../../../core/mail/templates';
import { type Delivery, delivered, failed } from './result';

export async function sendWithBinding(
  env: Env,
  from: { name: string; address: string },
  id: string,
  email: Email,
): Promise<Delivery> {
  const binding = env.SEND_EMAIL;
  if (!binding) return failed('not configured');
  try {
    await binding.send(new EmailMessage(from.address, email.to, mimeOf(from, id, email)));
    return delivered();
  } catch (error) {
    log('warn', 'send_email refused a message', { message_id: id, ...describeError(error) });
    return failed('send_email refused the message');
  }
}

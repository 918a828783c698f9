/** A JSON POST signed per Standard Webhooks: the email `webhook` transport and the app's events. */
import { signedHeaders } from '../../../core/webhook-signing';
import { type Delivery, post } from './result';

/** Posts `payload` as message `id`; the same id on every retry, so the receiver can dedupe. */
export function postSigned(
  target: { url: string; secret: string },
  id: string,
  payload: unknown,
  now = new Date(Date.now()),
): Promise<Delivery> {
  const body = JSON.stringify(payload);
  return post(target.url, { ...signedHeaders(target.secret, id, now, body) }, body);
}

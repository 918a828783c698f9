/** Outgoing events for the app's webhook (DESIGN.md §8): queued in the user's outbox when WEBHOOK_URL is set. */
import { type WebhookData, type WebhookType, webhookEvent } from '../../core/schemas/webhooks';
import type { RequestContext } from '../context';
import { userActor } from './actor';

export async function hook<T extends WebhookType>(
  rc: RequestContext,
  userId: string,
  type: T,
  data: Omit<WebhookData<T>, 'user_id'>,
): Promise<void> {
  if (!rc.config.webhook) return;
  await userActor(rc, userId).emitHook(webhookEvent(type, { user_id: userId, ...data } as WebhookData<T>));
}

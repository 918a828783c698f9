/**
 * The events the app's webhook receives (`WEBHOOK_URL`, DESIGN.md §8), documented in the 3.1
 * `webhooks` section of /openapi.json. Every body is `{type, timestamp, data}`, signed per
 * Standard Webhooks; `data.user_id` is always there.
 */
import * as v from 'valibot';
import { Timestamp } from './common';

const user = { user_id: v.string() };
const withEmail = v.object({ ...user, email: v.string() });
const plain = v.object(user);
const session = v.object({ ...user, session_id: v.string() });
const device = v.object({ ...user, device_id: v.string() });
const apiKey = v.object({ ...user, api_key_id: v.string() });

/** Each event type, what it reports, and the shape of its `data`. */
export const WEBHOOK_EVENTS = {
  'user.created': { summary: 'An account was created (signup or a first OAuth sign-in).', data: withEmail },
  'user.deleted': { summary: 'An account was erased with everything that was its own.', data: plain },
  'session.created': { summary: 'A sign-in opened a session.', data: session },
  'session.revoked': { summary: 'A session was signed out or revoked by its user.', data: session },
  'email.verified': { summary: 'The account proved its address with an emailed link.', data: withEmail },
  'email.changed': {
    summary: 'The account moved to a new, verified address (or an undo moved it back).',
    data: withEmail,
  },
  'password.changed': { summary: 'The password was changed, or reset by an emailed link.', data: plain },
  'mfa.enabled': { summary: 'Two-factor authentication was turned on.', data: plain },
  'mfa.disabled': { summary: 'Two-factor authentication was turned off.', data: plain },
  'api_key.created': { summary: 'An API key was created.', data: apiKey },
  'api_key.revoked': { summary: 'An API key was revoked.', data: apiKey },
  'device.registered': { summary: 'A device was registered.', data: device },
  'device.revoked': { summary: 'A device was revoked.', data: device },
} as const;

export type WebhookType = keyof typeof WEBHOOK_EVENTS;
export type WebhookData<T extends WebhookType> = v.InferOutput<(typeof WEBHOOK_EVENTS)[T]['data']>;

/** The body of one delivery of `type`. */
export const webhookBody = <T extends WebhookType>(type: T) =>
  v.object({ type: v.literal(type), timestamp: Timestamp, data: WEBHOOK_EVENTS[type].data });

export interface WebhookEvent {
  type: WebhookType;
  timestamp: string;
  data: { user_id: string } & Record<string, string>;
}

/** An event of `type` happening now. */
export const webhookEvent = <T extends WebhookType>(type: T, data: WebhookData<T>): WebhookEvent => ({
  type,
  timestamp: new Date(Date.now()).toISOString(),
  data: data as WebhookEvent['data'],
});

/** Shapes of the operator's outbox endpoints (DESIGN.md §7). */
import * as v from 'valibot';
import { queryInt, Timestamp } from './common';

export const OutboxQuery = v.strictObject({
  /** Only parked messages are listed; pending ones are their actors' business. */
  status: v.optional(v.picklist(['dead'], 'must be dead'), 'dead'),
  limit: queryInt(1, 100, 50),
});
export const OutboxParams = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^msg_[A-Za-z0-9_-]{22}$/, 'is not a valid message id')),
});

export const DeadMessageOut = v.object({
  id: v.string(),
  user_id: v.string(),
  channel: v.picklist(['email', 'hook']),
  /** An email's kind (`verify_email`, `notice.password_changed`, …) or an event's type. */
  kind: v.string(),
  attempts: v.number(),
  /** A short reason (`HTTP 503`, `timeout`, `network error`), never a receiver's answer. */
  last_error: v.string(),
  dead_at: Timestamp,
});
export const DeadMessagesOut = v.object({ messages: v.array(DeadMessageOut) });

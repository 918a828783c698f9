/**
 * Delivers the user's outbox from the alarm: each channel's oldest message first, through the
 * configured transport. A failure is retried with backoff, and after `OUTBOX_MAX_ATTEMPTS` the
 * message is parked as dead, recorded in D1 for the operator and logged. The row leaves only
 * after a delivery succeeded, so an actor evicted mid-delivery sends it again (at-least-once).
 */
import type { Config } from '../../core/config';
import { recordDead } from '../../core/db/outbox-dead';
import { log } from '../../core/log';
import type { Email } from '../../core/mail/templates';
import { recordMetric } from '../../core/metrics';
import type { ReportFailure } from '../shared/report';
import { sendEmail } from '../shared/transports/email';
import { type Delivery, failed } from '../shared/transports/result';
import { postSigned } from '../shared/transports/signed-post';
import type { Channel, Outbox, OutboxMessage } from './outbox';

/** At most this many messages per channel in one alarm; more wait for the next. */
const BATCH = 25;
const CHANNELS: readonly Channel[] = ['email', 'hook'];

/** The kind a message is listed under: an email's `kind`, an event's `type`. */
const kindOf = (message: OutboxMessage): string =>
  message.channel === 'email' ? (message.body as Email).kind : (message.body as { type: string }).type;

export class Courier {
  constructor(
    private readonly outbox: Outbox,
    private readonly env: Env,
    private readonly config: () => Config,
    private readonly userId: string,
    private readonly reportFailure: ReportFailure = () => {},
  ) {}

  private count(message: OutboxMessage, result: 'ok' | 'failed' | 'dead'): void {
    recordMetric(this.env.METRICS, {
      kind: 'outbox_delivery',
      channel: message.channel,
      message: kindOf(message),
      result,
      attempt: message.attempts + 1,
    });
  }

  /** The outbox job: answers when it is due next. */
  async run(now: number): Promise<number | null> {
    for (const channel of CHANNELS) {
      for (let sent = 0; sent < BATCH; sent++) {
        const message = this.outbox.head(channel, now);
        if (!message) break;
        const result = await this.deliver(message);
        if (result.ok) {
          this.outbox.delivered(message.id);
          this.count(message, 'ok');
          continue;
        }
        if (!(await this.countFailure(message, result.error.reason, now))) break;
      }
    }
    return this.outbox.nextDue();
  }

  private deliver(message: OutboxMessage): Promise<Delivery> {
    const config = this.config();
    if (message.channel === 'email') return sendEmail(config, this.env, message.id, message.body as Email);
    if (!config.webhook) return Promise.resolve(failed('not configured'));
    return postSigned(config.webhook, message.id, message.body);
  }

  /** Counts the failure; true when the message was parked, so the next one may go. */
  private async countFailure(message: OutboxMessage, reason: string, now: number): Promise<boolean> {
    const max = this.config().outboxMaxAttempts;
    const fields = { message_id: message.id, user_id: this.userId, channel: message.channel, kind: kindOf(message) };
    if (message.attempts + 1 >= max) {
      // Recorded before it is parked: if D1 fails, the job throws and the failure counts again later.
      await recordDead(this.env.DB, {
        id: message.id,
        userId: this.userId,
        channel: message.channel,
        kind: kindOf(message),
        attempts: message.attempts + 1,
        lastError: reason,
        deadAt: now,
      });
      this.outbox.failed(message.id, reason, max, now);
      this.count(message, 'dead');
      const error = new Error(`outbox message parked as dead after ${message.attempts + 1} attempts: ${reason}`);
      this.reportFailure(error, 'outbox_dead_letter', fields);
      return true;
    }
    const outcome = this.outbox.failed(message.id, reason, max, now);
    this.count(message, 'failed');
    log('warn', 'outbox delivery failed; will retry', {
      ...fields,
      reason,
      retry_at: outcome.status === 'retry' ? outcome.at : null,
    });
    return false;
  }
}

/**
 * What the account sends (DESIGN.md §8): emailed single-use links, security notices and events
 * for the app's webhook, each written to the outbox in the transaction of its cause, then handed
 * to the alarm. Nothing is queued for an erased account but its `user.deleted` event.
 */
import type { Config, NoticeKind } from '../../core/config';
import { type LinkKind, linkEmail, noticeEmail } from '../../core/mail/templates';
import type { Decision, Window } from '../../core/rate-limit';
import { err, ok, type Result } from '../../core/result';
import type { WebhookEvent } from '../../core/schemas/webhooks';
import { hitCounter } from '../shared/counters';
import type { Outbox } from './outbox';
import type { Scheduler } from './scheduler';
import type { SingleUseTokens, TokenData } from './single-use-tokens';

/** An emailed link: its kind, its address, and what its token carries. */
export type Link = { [K in LinkKind]: { kind: K; to: string; data: TokenData[K] } }[LinkKind];

export type EmailLimited = { type: 'rate_limited'; rate: Decision };

export class Mailer {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly tokens: SingleUseTokens,
    private readonly outbox: Outbox,
    private readonly scheduler: Scheduler,
    private readonly config: () => Config,
    private readonly erased: () => boolean,
  ) {}

  private brand() {
    const { appName, appUrl } = this.config();
    return { appName, appUrl };
  }

  /** Has the alarm deliver what was just queued. */
  private wake(): Promise<void> {
    return this.scheduler.atLatest('outbox', Date.now());
  }

  /**
   * Emails `links` as one request against the account's `email` limit; each token and its
   * message are stored in one transaction, so neither exists without the other.
   */
  async sendLinks(links: Link[], limit: Window): Promise<Result<null, EmailLimited>> {
    if (this.erased()) return ok(null);
    const rate = hitCounter(this.storage.sql, 'email', limit, Date.now());
    if (!rate.allowed) return err({ type: 'rate_limited', rate });
    const brand = this.brand();
    const minted = await Promise.all(links.map(() => this.tokens.mint()));
    this.storage.transactionSync(() => {
      links.forEach((link, i) => {
        this.tokens.store(minted[i]!, link.kind, link.data);
        this.outbox.add('email', linkEmail(brand, link.kind, link.to, minted[i]!.token));
      });
    });
    await this.wake();
    return ok(null);
  }

  /**
   * Queues a security notice to `to` unless the operator turned its kind off (`EMAIL_NOTICES`);
   * `inTransaction` runs beside it, in the same transaction.
   */
  async notify(kind: NoticeKind, to: string, inTransaction: () => void = () => {}): Promise<void> {
    const config = this.config();
    const send = !this.erased() && config.email.notices.includes(kind);
    this.storage.transactionSync(() => {
      inTransaction();
      if (send) this.outbox.add('email', noticeEmail(this.brand(), kind, to));
    });
    if (send) await this.wake();
  }

  /** Queues an event for the app's webhook. */
  async emit(event: WebhookEvent, evenErased = false): Promise<void> {
    if (this.erased() && !evenErased) return;
    this.outbox.add('hook', event);
    await this.wake();
  }

  /** Puts a dead message back in line; false when there is no such dead message. */
  async revive(id: string): Promise<boolean> {
    if (!this.outbox.revive(id)) return false;
    await this.wake();
    return true;
  }
}

/**
 * Connection attempts: how many failed in a row since the last `ready`, and the next one,
 * after a jittered backoff, unless `maxAttempts` is reached or it is asked for at once.
 */
import { type BackoffOptions, backoffDelay } from './backoff.ts';

export class Attempts {
  /** Failed attempts since the last `ready`. */
  failures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private next: (() => void) | null = null;
  private readonly max: number;
  private readonly backoff: BackoffOptions | undefined;
  private readonly random: (() => number) | undefined;

  constructor(max = Number.POSITIVE_INFINITY, backoff?: BackoffOptions, random?: () => number) {
    this.max = max;
    this.backoff = backoff;
    this.random = random;
  }

  /** One more failure: `retry` runs after the backoff; false (and no retry) once `max` failed in a row. */
  failed(retry: () => void): boolean {
    this.failures += 1;
    if (this.failures >= this.max) return false;
    this.next = retry;
    this.timer = setTimeout(() => this.fire(), backoffDelay(this.failures - 1, this.backoff, this.random));
    return true;
  }

  succeeded(): void {
    this.failures = 0;
  }

  /** Runs a waiting retry at once; false when none is waiting. */
  now(): boolean {
    if (this.timer === null) return false;
    this.fire();
    return true;
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.next = null;
  }

  private fire(): void {
    const retry = this.next;
    this.cancel();
    retry?.();
  }
}

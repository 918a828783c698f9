/**
 * Acks of what the app has finished with, batched to at most one per `delayMs`, and saved as
 * the store's cursor once sent.
 */
export class Acks {
  /** The last seq acked. */
  acked: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly delayMs: number;
  private readonly send: (seq: number) => boolean;

  constructor(after: number, delayMs: number, send: (seq: number) => boolean) {
    this.acked = after;
    this.delayMs = delayMs;
    this.send = send;
  }

  /** An ack is due: sent at the end of the delay. */
  schedule(position: () => number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush(position());
    }, this.delayMs);
  }

  /** Acks `seq` now if it is new and `send` could send it. */
  flush(seq: number): void {
    if (seq > this.acked && this.send(seq)) this.acked = seq;
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

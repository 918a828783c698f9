/**
 * Keep-alive: a `ping` text frame on an interval, which the server's runtime answers with
 * `pong` without waking the device's actor. A socket that has not answered the previous ping
 * by the next one is taken as dead (a half-open connection may never report its close).
 */
export class KeepAlive {
  private timer: ReturnType<typeof setInterval> | null = null;
  private due = false;

  private readonly everyMs: number;

  constructor(everyMs: number) {
    this.everyMs = everyMs;
  }

  start(ping: () => void, dead: () => void): void {
    this.stop();
    if (this.everyMs <= 0) return;
    this.due = false;
    this.timer = setInterval(() => {
      if (this.due) return dead();
      this.due = true;
      ping();
    }, this.everyMs);
  }

  pong(): void {
    this.due = false;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

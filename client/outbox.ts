/**
 * Events sent and not yet answered, by id. They are sent again after every reconnect: the
 * server acks a retried id with its first seq, so nothing is appended twice.
 */
import type { Ack, ClientFrame, Conflict } from './protocol.ts';

interface Pending {
  frame: ClientFrame;
  resolve: (answer: Ack | Conflict) => void;
  reject: (error: unknown) => void;
}

export class Outbox {
  private readonly pending = new Map<string, Pending>();

  /** Keeps the frame until it is answered; the promise settles with the answer. */
  add(id: string, frame: ClientFrame): Promise<Ack | Conflict> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, resolve, reject });
    });
  }

  frames(): ClientFrame[] {
    return [...this.pending.values()].map((p) => p.frame);
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  answer(id: string, answer: Ack | Conflict): void {
    this.take(id)?.resolve(answer);
  }

  refuse(id: string, error: unknown): void {
    this.take(id)?.reject(error);
  }

  refuseAll(error: unknown): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private take(id: string): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }
}

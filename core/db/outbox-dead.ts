/** The `outbox_dead` table: parked outbox messages across users, for the operator routes. */
import { desc, eq } from 'drizzle-orm';
import { database } from './client';
import { outboxDead } from './schema';

export type DeadRow = typeof outboxDead.$inferSelect;

/** Records a parked message; recording it again (a retried alarm) updates the row. */
export async function recordDead(db: D1Database, row: DeadRow): Promise<void> {
  const { id: _id, ...update } = row;
  await database(db).insert(outboxDead).values(row).onConflictDoUpdate({ target: outboxDead.id, set: update });
}

/** Parked messages, newest first. */
export async function listDead(db: D1Database, limit: number): Promise<DeadRow[]> {
  return database(db).select().from(outboxDead).orderBy(desc(outboxDead.deadAt)).limit(limit).all();
}

export async function findDead(db: D1Database, id: string): Promise<DeadRow | undefined> {
  return database(db).select().from(outboxDead).where(eq(outboxDead.id, id)).get();
}

/** Forgets every parked message of a user (account erasure). */
export async function forgetDeadOf(db: D1Database, userId: string): Promise<void> {
  await database(db).delete(outboxDead).where(eq(outboxDead.userId, userId));
}

export async function forgetDead(db: D1Database, id: string): Promise<void> {
  await database(db).delete(outboxDead).where(eq(outboxDead.id, id));
}

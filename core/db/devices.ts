/** Devices in D1: registration, lists, rename, revocation and presence times. */
import { and, asc, eq, isNull, lt } from 'drizzle-orm';
import { type Conflict, err, type NotFound, ok, type Result } from '../result';
import type { DevicePublicKey } from '../schemas/devices';
import { database } from './client';
import { devices } from './schema';
import { unlessTaken } from './users';

export type DeviceRow = typeof devices.$inferSelect;

/** Inserts a device; false when the user already has a live device of that name (case-insensitively). */
export const insertDevice = (db: D1Database, row: typeof devices.$inferInsert) =>
  unlessTaken(async () => {
    await database(db).insert(devices).values(row);
  });

export async function listDevices(db: D1Database, userId: string): Promise<DeviceRow[]> {
  return database(db)
    .select()
    .from(devices)
    .where(eq(devices.userId, userId))
    .orderBy(asc(devices.createdAt), asc(devices.id));
}

/** The user's device with this id; another user's device is not found. */
export async function findOwnDevice(db: D1Database, userId: string, id: string): Promise<DeviceRow | undefined> {
  return database(db)
    .select()
    .from(devices)
    .where(and(eq(devices.id, id), eq(devices.userId, userId)))
    .get();
}

/** A live (not revoked) device by id alone: what a socket may connect to. */
export async function findLiveDevice(db: D1Database, id: string): Promise<DeviceRow | undefined> {
  return database(db)
    .select()
    .from(devices)
    .where(and(eq(devices.id, id), isNull(devices.revokedAt)))
    .get();
}

/** Renames a live device of the user; a name taken by another live device is a conflict. */
export async function renameDevice(
  db: D1Database,
  userId: string,
  id: string,
  name: string,
): Promise<Result<DeviceRow, Conflict | NotFound>> {
  const renamed = await unlessTaken(() =>
    database(db)
      .update(devices)
      .set({ name })
      .where(and(eq(devices.id, id), eq(devices.userId, userId), isNull(devices.revokedAt)))
      .returning()
      .get(),
  );
  if (!renamed.ok) return renamed;
  return renamed.value ? ok(renamed.value) : err({ type: 'not_found' });
}

/** Marks a live device revoked; undefined when it was not live. */
export async function revokeDevice(
  db: D1Database,
  userId: string,
  id: string,
  now = Date.now(),
): Promise<DeviceRow | undefined> {
  return database(db)
    .update(devices)
    .set({ revokedAt: now })
    .where(and(eq(devices.id, id), eq(devices.userId, userId), isNull(devices.revokedAt)))
    .returning()
    .get();
}

/** Revokes every live device of the user registered before `before` (all by default); answers their ids. */
export async function revokeDevicesOf(
  db: D1Database,
  userId: string,
  before = Number.POSITIVE_INFINITY,
  now = Date.now(),
) {
  const rows = await database(db)
    .update(devices)
    .set({ revokedAt: now })
    .where(
      and(
        eq(devices.userId, userId),
        isNull(devices.revokedAt),
        Number.isFinite(before) ? lt(devices.createdAt, before) : undefined,
      ),
    )
    .returning({ id: devices.id });
  return rows.map((r) => r.id);
}

/** Records when a device was last seen: a socket opened or closed. */

export const parsePublicKey = (row: DeviceRow): DevicePublicKey => JSON.parse(row.publicKey) as DevicePublicKey;

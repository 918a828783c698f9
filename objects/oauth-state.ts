/**
 * OAuthStateObject: one per authorization flow, named by its `state` value. It keeps what the
 * callback needs (PKCE verifier, nonce, where to send the user) for 10 minutes and hands it
 * out once: `take` deletes it in the same call, and one actor serialises concurrent callbacks.
 * Its alarm wipes the storage at expiry, so an abandoned flow leaves nothing behind.
 */
import { DurableObject } from 'cloudflare:workers';
import { err, ok, type Result } from '../core/result';
import { OAUTH_STATE_TTL_MS, type PendingFlow } from './oauth-state/api';
import { type MigrationStep, migrate } from './shared/migrate';
import { one } from './shared/query';

/** The flow's table, as versioned steps (objects/shared/migrate.ts): never edit a shipped step. */
const OAUTH_STATE_MIGRATIONS: readonly MigrationStep[] = [
  ['CREATE TABLE IF NOT EXISTS flow (singleton INTEGER PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL)'],
];

export class OAuthStateObject extends DurableObject<Env> {
  // deleteAll() drops every table, so each call opens the storage again.
  private open(): SqlStorage {
    migrate(this.ctx.storage, OAUTH_STATE_MIGRATIONS);
    return this.ctx.storage.sql;
  }

  /** Stores a new flow; a state value is random (256 bits), so one never exists already. */
  async begin(flow: PendingFlow, now = Date.now()): Promise<void> {
    const expiresAt = now + OAUTH_STATE_TTL_MS;
    this.open().exec(
      'INSERT OR REPLACE INTO flow (singleton, data, expires_at) VALUES (1, ?, ?)',
      JSON.stringify(flow),
      expiresAt,
    );
    await this.ctx.storage.setAlarm(expiresAt);
  }

  /** The flow, exactly once and within its 10 minutes. */
  async take(now = Date.now()): Promise<Result<PendingFlow, { type: 'invalid' }>> {
    const sql = this.open();
    const row = one<{ data: string; expires_at: number }>(sql, 'SELECT data, expires_at FROM flow');
    // Deleted before any await: a second callback with the same state finds nothing.
    sql.exec('DELETE FROM flow');
    // Wiped whatever was found, so a made-up state leaves no storage behind either.
    await this.wipe();
    if (!row || row.expires_at <= now) return err({ type: 'invalid' });
    return ok(JSON.parse(row.data) as PendingFlow);
  }

  override async alarm(): Promise<void> {
    await this.wipe();
  }

  private async wipe(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}

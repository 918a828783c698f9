/**
 * The actor's copy of the user's profile, so per-user reads need no D1 query. D1 stays the
 * source of truth; every change goes through the actor, which writes both.
 */
import type { Profile } from '../../core/db/users';
import { one } from '../shared/query';

export class ProfileCache {
  private cached: Profile | null;

  constructor(private readonly sql: SqlStorage) {
    const row = one<{ data: string }>(sql, 'SELECT data FROM profile');
    // Copies cached before `email_verified` existed read as unverified until the next sign-in.
    this.cached = row ? { email_verified: false, ...(JSON.parse(row.data) as Omit<Profile, 'email_verified'>) } : null;
  }

  get(): Profile | null {
    return this.cached;
  }

  set(profile: Profile): void {
    this.sql.exec(
      'INSERT INTO profile (singleton, data) VALUES (1, ?) ON CONFLICT(singleton) DO UPDATE SET data = excluded.data',
      JSON.stringify(profile),
    );
    this.cached = profile;
  }
}

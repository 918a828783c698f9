/**
 * D1 read replication through the Sessions API. A request opens at most two sessions:
 *
 * - `primary()`: writes, and reads that decide who may do what (a revoked key, a changed
 *   password, a revoked device must count at once), start at the primary. Authentication
 *   never reads a replica.
 * - `replica()`: lists a user reads back (devices, API keys, connections) may come from the
 *   nearest replica, no older than the `x-d1-bookmark` the client sends.
 *
 * The response carries `x-d1-bookmark`, the newest point the request's sessions reached, so
 * a client that wrote (registered a device) and then reads (lists devices) sends it back and
 * sees its write. A client's bookmark is only a lower bound for replica reads: it can never
 * make a security lookup read older data.
 */
export const BOOKMARK_HEADER = 'x-d1-bookmark';
const BOOKMARK = /^[A-Za-z0-9-]{1,128}$/;

export class D1Sessions {
  private primarySession: D1DatabaseSession | null = null;
  private replicaSession: D1DatabaseSession | null = null;

  constructor(
    private readonly db: D1Database,
    private readonly clientBookmark: string | null,
  ) {}

  static from(db: D1Database, request: Request): D1Sessions {
    const bookmark = request.headers.get(BOOKMARK_HEADER);
    return new D1Sessions(db, bookmark && BOOKMARK.test(bookmark) ? bookmark : null);
  }

  primary(): D1Database {
    this.primarySession ??= this.db.withSession('first-primary');
    return asDatabase(this.primarySession);
  }

  replica(): D1Database {
    if (!this.replicaSession) {
      try {
        this.replicaSession = this.db.withSession(this.clientBookmark ?? 'first-unconstrained');
      } catch {
        // A bookmark D1 does not recognise: read as if none was sent.
        this.replicaSession = this.db.withSession('first-unconstrained');
      }
    }
    return asDatabase(this.replicaSession);
  }

  /** The bookmark to hand back, or null when the request used no session. */
  bookmark(): string | null {
    return this.primarySession?.getBookmark() ?? this.replicaSession?.getBookmark() ?? null;
  }
}

// drizzle and our queries only use `prepare` and `batch`, which a session has.
const asDatabase = (session: D1DatabaseSession): D1Database => session as unknown as D1Database;

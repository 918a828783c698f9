/** Typed reads of an actor's SQLite storage: the one way actors run a query and take its rows. */
type Row = Record<string, SqlStorageValue>;

/** The first row of `query`, or undefined when it has none. */
export function one<T extends Row>(sql: SqlStorage, query: string, ...args: SqlStorageValue[]): T | undefined {
  return sql.exec<T>(query, ...args).toArray()[0];
}

/** Every row of `query`. */
export function all<T extends Row>(sql: SqlStorage, query: string, ...args: SqlStorageValue[]): T[] {
  return sql.exec<T>(query, ...args).toArray();
}

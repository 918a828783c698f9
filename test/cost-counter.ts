/**
 * Counts what an operation costs on the platform: D1 statements (reads and writes) through a
 * spy on the shared `env.DB`, and actor RPC calls through spies on every namespace's
 * `getByName`, whose stubs are wrapped to count method calls. The Worker and the actors run in
 * the tests' isolate and share `env`, so calls between actors are counted too.
 */
import { env } from 'cloudflare:workers';
import { vi } from 'vitest';

export interface Cost {
  d1Reads: number;
  d1Writes: number;
  /** `NAMESPACE.method` → calls. */
  actorCalls: Record<string, number>;
  /** Statements that change an actor's SQLite storage, and key-value writes. */
  storageWrites: number;
}

const NAMESPACES = ['USER', 'DEVICE', 'LIMITER', 'MAINTENANCE', 'OAUTH_STATE'] as const;

const isRead = (sql: string) => /^\s*(select|with)\b/i.test(sql);
/** A row change; schema statements (an actor's start-up migration check) are not counted. */
const isRowWrite = (sql: string) => /^\s*(insert|update|delete|replace)\b/i.test(sql) && !/\b_schema\b/.test(sql);

export class CostCounter {
  private cost: Cost = { d1Reads: 0, d1Writes: 0, actorCalls: {}, storageWrites: 0 };

  /** `storage` is any actor's: the spies go on the prototypes every actor's storage shares. */
  constructor(storage: DurableObjectStorage) {
    const sqlProto = Object.getPrototypeOf(storage.sql) as SqlStorage;
    const exec = sqlProto.exec;
    const counter = this;
    vi.spyOn(sqlProto, 'exec').mockImplementation(function (this: SqlStorage, query: string, ...bindings: unknown[]) {
      if (isRowWrite(query)) counter.cost.storageWrites += 1;
      return exec.call(this, query, ...bindings);
    } as SqlStorage['exec']);
    const kvProto = Object.getPrototypeOf(storage.kv) as SyncKvStorage;
    for (const method of ['put', 'delete'] as const) {
      const original = kvProto[method] as (...args: unknown[]) => unknown;
      vi.spyOn(kvProto, method).mockImplementation(function (this: SyncKvStorage, ...args: unknown[]) {
        counter.cost.storageWrites += 1;
        return original.apply(this, args);
      } as never);
    }
    const prepare = env.DB.prepare.bind(env.DB);
    vi.spyOn(env.DB, 'prepare').mockImplementation((sql: string) => {
      if (isRead(sql)) this.cost.d1Reads += 1;
      else this.cost.d1Writes += 1;
      return prepare(sql);
    });
    for (const name of NAMESPACES) {
      const namespace = env[name] as DurableObjectNamespace;
      const getByName = namespace.getByName.bind(namespace);
      vi.spyOn(namespace, 'getByName').mockImplementation((id: string) => this.counted(name, getByName(id)));
    }
  }

  private counted<T extends object>(namespace: string, stub: T): T {
    return new Proxy(stub, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || property === 'then' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const key = `${namespace}.${property}`;
          this.cost.actorCalls[key] = (this.cost.actorCalls[key] ?? 0) + 1;
          return Reflect.apply(value, target, args);
        };
      },
    });
  }

  /** What was counted since the last `take()`, and a fresh start. */
  take(): Cost {
    const taken = this.cost;
    this.cost = { d1Reads: 0, d1Writes: 0, actorCalls: {}, storageWrites: 0 };
    return taken;
  }
}

export const totalCalls = (cost: Cost): number => Object.values(cost.actorCalls).reduce((a, b) => a + b, 0);

/**
 * Metrics as Workers Analytics Engine data points, one closed list of kinds. Every point has
 * the same layout so one SQL query shape reads them all:
 * `index1` = `blob1` = the kind, `blob2…` = its labels in the order below, `double1` = 1 (a
 * count, so `SUM(_sample_interval * double1)` counts events under sampling), `double2…` = its
 * values in the order below. README "Metrics" has the queries.
 *
 * Writing never throws and never waits: a metric must not fail or slow what it measures.
 */
import { describeError, log } from './log';

export const METRIC_LAYOUT = {
  /** One per HTTP request: the route pattern (never the raw URL), status and latency. */
  request: { labels: ['route', 'method', 'status', 'status_class', 'latency_bucket'], values: ['duration_ms'] },
  /** A sign-in attempt: `password`, `oauth`, `mfa`, `passwordless`; `ok`, `failed`, `locked`, `mfa_required`. */
  sign_in: { labels: ['method', 'result'], values: [] },
  /** An account (or an unknown email) became locked. */
  lockout: { labels: ['scope'], values: [] },
  /** A wrong second factor. */
  mfa_failure: { labels: [], values: [] },
  /** A refresh token used twice: the session is revoked. */
  refresh_reuse: { labels: [], values: [] },
  /** A WebSocket upgrade reached a device actor. */
  ws_connect: { labels: [], values: [] },
  /** A WebSocket closed, by its code. */
  ws_close: { labels: ['code'], values: [] },
  /** An event stored in a user's log, by transport (`http`, `socket`). */
  event_appended: { labels: ['transport'], values: [] },
  /** An event sent to another device, with the time since it was stored. */
  event_relayed: { labels: [], values: ['latency_ms'] },
  /** One delivery attempt of an outbox message: `email` or `hook`, its kind, `ok`, `failed` or `dead`. */
  outbox_delivery: { labels: ['channel', 'message', 'result'], values: ['attempt'] },
  /** A provider token refresh, by provider and result (`ok`, `failed`, `reauth_required`). */
  provider_refresh: { labels: ['provider', 'result'], values: [] },
  /** A provider's circuit breaker opened. */
  breaker_open: { labels: ['provider'], values: [] },
  /** A backup run finished (`complete` or `failed`). */
  backup_run: { labels: ['result'], values: ['duration_ms', 'rows', 'bytes'] },
} as const satisfies Record<string, { labels: readonly string[]; values: readonly string[] }>;

export type MetricKind = keyof typeof METRIC_LAYOUT;

type Named<Names extends readonly string[], T> = { [K in Names[number]]: T };

export type MetricPoint = {
  [K in MetricKind]: { kind: K } & Named<(typeof METRIC_LAYOUT)[K]['labels'], string | number> &
    Named<(typeof METRIC_LAYOUT)[K]['values'], number>;
}[MetricKind];

/** The Analytics Engine layout of a point (exported for tests and the README's queries). */
export function dataPointOf(point: MetricPoint): AnalyticsEngineDataPoint {
  const layout = METRIC_LAYOUT[point.kind];
  const fields = point as unknown as Record<string, string | number>;
  return {
    indexes: [point.kind],
    blobs: [point.kind, ...layout.labels.map((name) => String(fields[name]))],
    doubles: [1, ...layout.values.map((name) => Number(fields[name]))],
  };
}

/** Writes `point` to the dataset; without a binding (a plain local run) nothing is written. */
export function recordMetric(dataset: AnalyticsEngineDataset | undefined, point: MetricPoint): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint(dataPointOf(point));
  } catch (error) {
    log('warn', 'metric not written', { kind: point.kind, ...describeError(error) });
  }
}

const LATENCY_BUCKETS_MS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

/** A latency as a bucket label (`le_100`, …, `gt_10000`), so charts can group without math. */
export function latencyBucket(ms: number): string {
  const bound = LATENCY_BUCKETS_MS.find((limit) => ms <= limit);
  return bound === undefined ? 'gt_10000' : `le_${bound}`;
}

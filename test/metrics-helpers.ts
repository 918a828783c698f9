/**
 * A recording double of the METRICS binding (Analytics Engine is Cloudflare's service, not
 * ours): the Worker and the actors run in the tests' isolate and share its `env`, so a spy on
 * the binding sees every data point they write.
 */
import { env } from 'cloudflare:workers';
import { type MockInstance, vi } from 'vitest';
import { METRIC_LAYOUT, type MetricKind } from '../core/metrics';

export interface RecordedPoint {
  kind: MetricKind;
  [field: string]: string | number;
}

export class MetricsRecorder {
  private readonly spy: MockInstance<AnalyticsEngineDataset['writeDataPoint']>;

  constructor() {
    this.spy = vi.spyOn(env.METRICS, 'writeDataPoint');
  }

  /** Every point written since the recorder started, decoded by the layout of its kind. */
  all(): RecordedPoint[] {
    return this.spy.mock.calls.map(([point]) => decode(point ?? {}));
  }

  of(kind: MetricKind): RecordedPoint[] {
    return this.all().filter((point) => point.kind === kind);
  }

  clear(): void {
    this.spy.mockClear();
  }
}

function decode(point: AnalyticsEngineDataPoint): RecordedPoint {
  const [kind, ...labels] = (point.blobs ?? []) as string[];
  const layout = METRIC_LAYOUT[kind as MetricKind];
  if (!layout) throw new Error(`unknown metric kind ${kind}`);
  if (point.indexes?.[0] !== kind) throw new Error(`index of ${kind} is ${String(point.indexes?.[0])}`);
  const [count, ...values] = (point.doubles ?? []) as number[];
  if (count !== 1) throw new Error(`double1 of ${kind} is ${count}, not 1`);
  if (labels.length !== layout.labels.length || values.length !== layout.values.length) {
    throw new Error(`${kind} has ${labels.length} labels and ${values.length} values`);
  }
  const fields: Record<string, string | number> = {};
  layout.labels.forEach((name: string, i) => {
    fields[name] = labels[i] as string;
  });
  layout.values.forEach((name: string, i) => {
    fields[name] = values[i] as number;
  });
  return { ...fields, kind: kind as MetricKind };
}

/** Reading a client's frame: text only, at most 64 KiB, JSON, then the schema of what may come next. */
import * as v from 'valibot';
import { err, ok, type Result } from '../../core/result';
import { MAX_FRAME_BYTES } from '../../core/schemas/events';
import type { ErrorCode } from '../../core/schemas/realtime';

export interface FrameProblem {
  type: 'bad_frame';
  code: ErrorCode;
  message: string;
  /** The frame's `id`, when it had one, so the client can match the error to its event. */
  id?: string;
}

const problem = (code: ErrorCode, message: string, id?: string): { ok: false; error: FrameProblem } =>
  err({ type: 'bad_frame', code, message, ...(id === undefined ? {} : { id }) });

const byteLength = (text: string): number =>
  // A UTF-16 unit is at most 3 UTF-8 bytes: only count when the short answer is not enough.
  text.length * 3 <= MAX_FRAME_BYTES ? text.length : new TextEncoder().encode(text).byteLength;

function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return 'The frame is not valid.';
  const path = first.path?.map((item) => String(item.key)).join('.');
  return path ? `${path}: ${first.message}` : first.message;
}

const idOf = (input: unknown): string | undefined => {
  const id = (input as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
};

export function parseFrame<S extends v.GenericSchema>(
  schema: S,
  message: string | ArrayBuffer,
): Result<v.InferOutput<S>, FrameProblem> {
  if (typeof message !== 'string') return problem('invalid_request', 'Frames are JSON text, not binary.');
  let input: unknown;
  try {
    input = JSON.parse(message);
  } catch {
    input = undefined;
  }
  // An oversized frame is still answered with its id, so the client knows which event was refused.
  if (byteLength(message) > MAX_FRAME_BYTES)
    return problem('payload_too_large', 'A frame is at most 64 KiB.', idOf(input));
  if (input === undefined) return problem('invalid_request', 'The frame is not valid JSON.');
  const result = v.safeParse(schema, input);
  return result.success ? ok(result.output) : problem('invalid_request', describe(result.issues), idOf(input));
}

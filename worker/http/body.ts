/** Reading and validating request input: one size limit, strict JSON, valibot issues. */
import * as v from 'valibot';
import { ApiError, type Issue, invalidFields } from '../errors';

export const MAX_BODY_BYTES = 64 * 1024;

function toIssues(issues: readonly v.BaseIssue<unknown>[]): Issue[] {
  return issues.map((issue) => {
    const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
    const unknownKey = issue.type === 'strict_object' || issue.expected === 'never';
    return { path, message: unknownKey ? 'is not an accepted field' : issue.message };
  });
}

export function validate<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (!result.success) {
    throw invalidFields(toIssues(result.issues));
  }
  return result.output;
}

/**
 * Reads at most `limit` bytes (MAX_BODY_BYTES), whatever Content-Length claims, then parses JSON. With
 * `emptyAs`, a request without a body reads as that value instead.
 */
export async function readJson(request: Request, emptyAs?: unknown, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new ApiError('payload_too_large');
  if (emptyAs !== undefined && (request.body === null || request.headers.get('content-length') === '0')) return emptyAs;
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError('invalid_request', 'The body must be JSON (content-type: application/json).');
  }
  const text = await readText(request, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError('invalid_request', 'The body is not valid JSON.');
  }
}

/** A read that fails means the client went away mid-body: its fault, not ours, so not a 500. */
async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch {
    throw new ApiError('invalid_request', 'The body ended before it was complete.');
  }
}

async function readText(request: Request, limit: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await readChunk(reader);
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ApiError('payload_too_large');
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError('invalid_request', 'The body is not valid UTF-8.');
  }
}

import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../worker/errors';
import { MAX_BODY_BYTES, readJson, validate } from '../worker/http/body';

const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://x/', { method: 'POST', body, headers });

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('readJson', () => {
  it('parses a JSON body', async () => {
    expect(await readJson(post('{"a":1}'))).toEqual({ a: 1 });
  });

  it('refuses malformed JSON with invalid_request', async () => {
    const error = await failure(readJson(post('{"a":')));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('refuses a body that is not declared as JSON', async () => {
    expect((await failure(readJson(post('{"a":1}', { 'content-type': 'text/plain' })))).code).toBe('invalid_request');
  });

  it('refuses a declared length over 64 KiB without reading it', async () => {
    const request = post('{}', { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) });
    expect((await failure(readJson(request))).code).toBe('payload_too_large');
  });

  it('refuses a streamed body that grows past 64 KiB whatever its headers say', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
    const stream = new Blob([big]).stream();
    const request = new Request('http://x/', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
    });
    expect((await failure(readJson(request))).code).toBe('payload_too_large');
  });

  it('refuses bytes that are not UTF-8', async () => {
    expect((await failure(readJson(post(new Uint8Array([0x22, 0xff, 0x22]))))).code).toBe('invalid_request');
  });
});

describe('validate', () => {
  const Schema = v.strictObject({ email: v.pipe(v.string(), v.email()), age: v.optional(v.number()) });

  it('returns the parsed value', () => {
    expect(validate(Schema, { email: 'a@b.co' })).toEqual({ email: 'a@b.co' });
  });

  it('lists a wrong type, a missing field and an extra field as details with paths', () => {
    let error: ApiError | undefined;
    try {
      validate(Schema, { age: 'old', extra: true });
    } catch (e) {
      error = e as ApiError;
    }
    expect(error?.code).toBe('invalid_request');
    const paths = error?.extra.details?.map((d) => d.path).sort();
    expect(paths).toEqual(['age', 'email', 'extra']);
    expect(error?.extra.details?.find((d) => d.path === 'extra')?.message).toBe('is not an accepted field');
  });
});

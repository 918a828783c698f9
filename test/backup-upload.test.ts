import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../core/backup/load';
import { PART_SIZE, streamToR2 } from '../objects/maintenance/r2-upload';

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  return bytes;
}

/** A stream of `bytes` in chunks of 64 KiB, as CompressionStream would produce it. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}

async function stored(key: string): Promise<Uint8Array> {
  return new Uint8Array(await (await env.BACKUPS.get(key))!.arrayBuffer());
}

describe('streaming an object of unknown length to R2', () => {
  afterEach(() => vi.restoreAllMocks());

  it('puts a stream shorter than one part whole, and R2 checks its SHA-256', async () => {
    const bytes = randomBytes(100_000);
    const uploaded = await streamToR2(env.BACKUPS, 'upload/short', chunked(bytes));
    expect(uploaded).toEqual({ sha256: await sha256Hex(bytes), bytes: bytes.length });
    expect(await stored('upload/short')).toEqual(bytes);
    expect((await env.BACKUPS.head('upload/short'))!.checksums.toJSON().sha256).toBe(uploaded.sha256);
  });

  it('turns a longer stream into a multipart upload of equal parts', async () => {
    const bytes = randomBytes(2 * PART_SIZE + 12_345);
    const multipart = vi.spyOn(env.BACKUPS, 'createMultipartUpload');
    const uploaded = await streamToR2(env.BACKUPS, 'upload/long', chunked(bytes));
    expect(multipart).toHaveBeenCalledTimes(1);
    expect(uploaded).toEqual({ sha256: await sha256Hex(bytes), bytes: bytes.length });
    expect(await stored('upload/long')).toEqual(bytes);
  });

  it('aborts the upload and fails the producer, instead of leaving it waiting, when R2 fails', async () => {
    const abort = vi.fn();
    const create = env.BACKUPS.createMultipartUpload.bind(env.BACKUPS);
    vi.spyOn(env.BACKUPS, 'createMultipartUpload').mockImplementation(async (key, options) => {
      const upload = await create(key, options);
      return {
        key: upload.key,
        uploadId: upload.uploadId,
        uploadPart: async () => {
          throw new Error('R2 is down');
        },
        abort: async () => {
          abort();
          await upload.abort();
        },
        complete: (parts) => upload.complete(parts),
      };
    });
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const upload = streamToR2(env.BACKUPS, 'upload/broken', pipe.readable);
    const writer = pipe.writable.getWriter();
    const produced = (async () => {
      for (let i = 0; i < 3 * (PART_SIZE / 65_536); i += 1) await writer.write(randomBytes(65_536));
    })().then(
      () => 'finished',
      () => 'failed',
    );
    await expect(upload).rejects.toThrow('R2 is down');
    expect(await produced).toBe('failed');
    expect(abort).toHaveBeenCalledTimes(1);
    expect(await env.BACKUPS.head('upload/broken')).toBeNull();
  });
});

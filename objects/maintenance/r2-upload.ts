/**
 * Streams bytes of unknown length into one R2 object with bounded memory, hashing them on
 * the way. R2's `put` needs a known length, so a stream shorter than one part is buffered and
 * put whole; a longer one becomes a multipart upload of equal parts (R2 wants every part but
 * the last the same size, and at least 5 MiB).
 */
export const PART_SIZE = 5 * 1024 * 1024;

export interface Uploaded {
  sha256: string;
  bytes: number;
}

const hex = (bytes: ArrayBuffer): string =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** Collects chunks and cuts them into parts of exactly `size` bytes. */
class PartBuffer {
  private chunks: Uint8Array[] = [];
  length = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  take(size: number): Uint8Array {
    const part = new Uint8Array(Math.min(size, this.length));
    let filled = 0;
    while (filled < part.length) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.byteLength, part.length - filled);
      part.set(chunk.subarray(0, used), filled);
      filled += used;
      if (used === chunk.byteLength) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.length -= part.length;
    return part;
  }
}

const METADATA = { httpMetadata: { contentType: 'application/gzip' } };

export async function streamToR2(
  bucket: R2Bucket,
  key: string,
  source: ReadableStream<Uint8Array>,
  partSize = PART_SIZE,
): Promise<Uploaded> {
  const digest = new crypto.DigestStream('SHA-256');
  const hash = digest.getWriter();
  const buffer = new PartBuffer();
  const parts: R2UploadedPart[] = [];
  let upload: R2MultipartUpload | null = null;
  let bytes = 0;
  const reader = source.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      await hash.write(value.slice());
      buffer.push(value);
      while (buffer.length >= partSize) {
        upload ??= await bucket.createMultipartUpload(key, METADATA);
        parts.push(await upload.uploadPart(parts.length + 1, buffer.take(partSize)));
      }
    }
    await hash.close();
    const sha256 = hex(await digest.digest);
    if (upload) {
      if (buffer.length > 0) parts.push(await upload.uploadPart(parts.length + 1, buffer.take(buffer.length)));
      await upload.complete(parts);
    } else {
      // R2 checks the hash itself on a single put.
      await bucket.put(key, buffer.take(buffer.length), { ...METADATA, sha256 });
    }
    return { sha256, bytes };
  } catch (error) {
    // Stop the producer (its writes would otherwise wait forever) and drop the parts.
    await reader.cancel(error).catch(() => {});
    await upload?.abort().catch(() => {});
    throw error;
  }
}

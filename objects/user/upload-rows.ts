/** Rows of the actor's storage as one gzipped NDJSON object in R2, streamed a page at a time. */
import { streamToR2, type Uploaded } from '../maintenance/r2-upload';

/** Writes every page `next` answers (an empty page ends it); answers the object's hash, size and lines. */
export async function uploadRows(
  bucket: R2Bucket,
  key: string,
  next: () => Record<string, SqlStorageValue>[],
): Promise<Uploaded & { lines: number }> {
  const gzipper = new CompressionStream('gzip');
  const upload = streamToR2(bucket, key, gzipper.readable);
  upload.catch(() => {});
  const writer = gzipper.writable.getWriter();
  const encoder = new TextEncoder();
  let lines = 0;
  try {
    for (let rows = next(); rows.length > 0; rows = next()) {
      await writer.write(encoder.encode(rows.map((row) => `${JSON.stringify(row)}\n`).join('')));
      lines += rows.length;
    }
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => {});
    throw (
      (await upload.then(
        () => null,
        (failure: unknown) => failure,
      )) ?? error
    );
  }
  return { ...(await upload), lines };
}

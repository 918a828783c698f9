/** One table → one gzipped NDJSON object in R2, read in keyset pages so memory stays bounded. */
import type { ManifestTable } from '../../core/backup/manifest';
import { ndjsonLine, type Row } from '../../core/backup/ndjson';
import type { TableInfo } from '../../core/db/table-discovery';
import { type Cursor, readPage } from '../../core/db/table-pages';
import { streamToR2 } from './r2-upload';

export const PAGE_ROWS = 500;

export async function exportTable(
  db: D1Database,
  bucket: R2Bucket,
  table: TableInfo,
  key: string,
  pageRows = PAGE_ROWS,
  onRows: (rows: Row[]) => void = () => {},
): Promise<ManifestTable> {
  const gzip = new CompressionStream('gzip');
  const upload = streamToR2(bucket, key, gzip.readable);
  // Its failure surfaces through the writer below; this keeps it from counting as unhandled meanwhile.
  upload.catch(() => {});
  const writer = gzip.writable.getWriter();
  const encoder = new TextEncoder();
  let rows = 0;
  try {
    let cursor: Cursor = null;
    do {
      const page = await readPage(db, table, cursor, pageRows);
      if (page.rows.length) await writer.write(encoder.encode(page.rows.map(ndjsonLine).join('')));
      onRows(page.rows);
      rows += page.rows.length;
      cursor = page.next;
    } while (cursor);
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => {});
    // When R2 failed, the writer only says the stream closed: the upload's error is the cause.
    const cause = await upload.then(
      () => null,
      (failure: unknown) => failure,
    );
    throw cause ?? error;
  }
  const { sha256, bytes } = await upload;
  return { name: table.name, key, rows, sha256, bytes, columns: table.columns, references: table.references };
}

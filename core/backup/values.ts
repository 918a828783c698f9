/**
 * How one SQLite value travels in a backup. JSON carries text, NULL and most numbers as
 * themselves; what JSON cannot hold exactly is tagged: blobs as `{"$blob": base64}`, and
 * integers beyond ±2^53 or infinities as `{"$num": "<SQL numeric literal>"}`.
 */
export type Cell = null | number | string | { $blob: string } | { $num: string };

const NUMERIC = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** A number that D1's JavaScript API may have rounded: the exporter re-reads it as text. */
export const isLossyNumber = (value: unknown): boolean =>
  typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A value as D1 returns it (blobs arrive as arrays of bytes) → its backup form. */
export function encodeCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    if (Number.isNaN(value)) return null;
    return { $num: value > 0 ? '1e999' : '-1e999' };
  }
  if (Array.isArray(value)) return { $blob: toBase64(Uint8Array.from(value as number[])) };
  if (value instanceof ArrayBuffer) return { $blob: toBase64(new Uint8Array(value)) };
  if (ArrayBuffer.isView(value))
    return { $blob: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  throw new TypeError(`unexpected SQLite value of type ${typeof value}`);
}

/** A numeric literal read back as text (`CAST(x AS TEXT)`), for a number JSON would round. */
export function numericCell(text: string): Cell {
  if (!NUMERIC.test(text)) throw new TypeError('not a numeric literal');
  return { $num: text };
}

/** Whether a parsed JSON value is a well-formed cell. */
export function isCell(value: unknown): value is Cell {
  if (value === null || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const record = value as Record<string, unknown>;
  if (typeof record.$num === 'string') return NUMERIC.test(record.$num);
  return typeof record.$blob === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(record.$blob);
}

/** A cell as an SQL literal, exact for every SQLite type. */
export function sqlLiteral(cell: Cell): string {
  if (cell === null) return 'NULL';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) throw new TypeError('not a finite number');
    return String(cell);
  }
  if (typeof cell === 'string') {
    // A NUL cannot sit inside an SQL string literal: spell the UTF-8 bytes out instead.
    if (cell.includes('\0')) return `CAST(X'${toHex(new TextEncoder().encode(cell))}' AS TEXT)`;
    return `'${cell.replaceAll("'", "''")}'`;
  }
  if ('$num' in cell) {
    if (!NUMERIC.test(cell.$num)) throw new TypeError('not a numeric literal');
    return cell.$num;
  }
  return `X'${toHex(fromBase64(cell.$blob))}'`;
}

/** Double-quotes an identifier that the caller has already checked against IDENTIFIER. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

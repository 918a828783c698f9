/** The credential of an `Authorization: Bearer …` header. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  const match = header?.match(/^Bearer ([\x21-\x7e]{1,4096})$/);
  return match?.[1] ?? null;
}

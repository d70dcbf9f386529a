/**
 * A `GET /v1/user` body as the API sends it (`users` flat or nested), cut into chunks at `cuts`
 * (taken modulo its length), so a user, a key or a multi-byte character can straddle two chunks.
 */
export function userListChunks(users: unknown, cuts: readonly number[]): Buffer[] {
  const bytes = Buffer.from(JSON.stringify({ _selfUrl: '/api-public/v1/user', users }));
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks;
}

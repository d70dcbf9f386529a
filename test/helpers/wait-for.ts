/**
 * e2e only: the built CLI runs as a separate process on real time, whose progress a test can only
 * watch (its output, its database), so this is a bounded wait for that process. Unit and
 * integration tests await outcomes on a fake clock instead (docs/development.md).
 */
export async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, everyMs = 50 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

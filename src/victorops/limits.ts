/** Limits on what roster-watch reads from VictorOps (kept apart so config.ts can import them cheaply). */

/**
 * The largest VictorOps body read into memory. The largest answer is `GET /v1/user` (every user
 * at once): about 240 bytes per user in the simulator and ~320 in the reference fixture's shape,
 * so the 20,000-user org we size for (docs/benchmarks.md) answers with about 5-6.5 MB. 32 MiB is
 * five times that (~100,000 users), and a 32 MiB body of fixture-shaped users parses with the
 * client's schema in about 105 MB of heap, inside the image's 256 MB cap with room for the rest
 * of a poll; 64 MiB needed 200 MB. Anything larger is an upstream fault, not a roster.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Helpers for the VictorOps adapter's error messages (the error class itself lives in src/errors.ts). */
import type { VictorOpsError } from '../errors.js';

/** A short, single-line excerpt of a response body for error messages. */
export function excerpt(body: string, max = 120): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/**
 * Keeps only what is safe from a low-level error (name, code, message) so a cause chain can never
 * carry request options or headers into a log line.
 */
export function sanitizeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const safe = new Error(error.message);
  safe.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') (safe as Error & { code: string }).code = code;
  return safe;
}

const CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A connection failure in words a user can act on, instead of the socket's or OpenSSL's text, and
 * whether trying again can help: a scheme or certificate mismatch is configuration, not a glitch.
 */
export function describeNetworkFailure(error: unknown): { text: string; short: string; retryable: boolean } {
  const code = String((error as { code?: unknown }).code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED')
    return {
      text: 'nothing is listening at that address (connection refused): check the host and port in VO_BASE_URL',
      short: 'connection refused',
      retryable: true,
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return {
      text: 'the host name in VO_BASE_URL does not resolve (DNS): check its spelling and this host’s DNS',
      short: 'host not found',
      retryable: true,
    };
  if (
    /^ERR_SSL_|^EPROTO$/.test(code) ||
    /wrong version number|packet length too long|SSL routines/i.test(message)
  )
    return {
      text: 'TLS mismatch: VO_BASE_URL says https, but the server there does not speak TLS (it answers plain HTTP?): check the scheme and port in VO_BASE_URL',
      short: 'TLS mismatch',
      retryable: false,
    };
  if (code.startsWith('HPE_'))
    return {
      text: 'the answer is not HTTP (a TLS server answered a plain http:// request?): check the scheme and port in VO_BASE_URL',
      short: 'not HTTP',
      retryable: false,
    };
  if (CERTIFICATE_CODES.has(code))
    return {
      text: `the server’s TLS certificate is not trusted (${code}): check the host in VO_BASE_URL; for a private CA set NODE_EXTRA_CA_CERTS`,
      short: 'untrusted certificate',
      retryable: false,
    };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
    return {
      text: `the server closed the connection (${message})`,
      short: 'connection closed',
      retryable: true,
    };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT')
    return {
      text: `the host cannot be reached (${code}): check VO_BASE_URL and this host’s network`,
      short: code,
      retryable: true,
    };
  return { text: message, short: code || 'network error', retryable: true };
}

/** What a failed attempt met, in a few words (for retry progress): the status, or the connection failure. */
export function retryCause(error: VictorOpsError): string {
  if (error.status !== undefined) return String(error.status);
  if (error.code === 'network') return describeNetworkFailure(error.cause).short;
  return error.code.replace(/_/g, ' ');
}

/**
 * One person's contact methods and personal paging policy, read (GET only) and reduced at once to
 * what roster-watch keeps: id, kind, verified state and a hint. The full phone numbers and
 * addresses exist only inside `reduceContactMethods` and are dropped there (ARCHITECTURE §13).
 */
import { VictorOpsError } from '../errors.js';
import {
  type ContactMethod,
  emailHint,
  type PagingStep,
  type PersonContacts,
  phoneHint,
} from '../roster/contact-types.js';
import { encodePathSegment, type VictorOpsClient } from './client.js';
import {
  type ApiContactMethods,
  type ApiPagingPolicy,
  contactMethodsSchema,
  pagingPolicySchema,
} from './contact-schemas.js';

export function reduceContactMethods(api: ApiContactMethods): ContactMethod[] {
  const verified = (v: string | null | undefined) => v === 'verified';
  return [
    ...api.phones.map((m) => ({
      id: m.id,
      kind: 'phone' as const,
      verified: verified(m.verified),
      hint: phoneHint(m.value ?? ''),
    })),
    ...api.emails.map((m) => ({
      id: m.id,
      kind: 'email' as const,
      verified: verified(m.verified),
      hint: emailHint(m.value ?? ''),
    })),
    ...api.devices.map((d) => ({
      id: d.id,
      kind: 'device' as const,
      verified: null,
      hint: d.deviceType?.trim() || 'unnamed',
    })),
  ].sort((a, b) => a.kind.localeCompare(b.kind) || a.id - b.id);
}

export function reducePagingPolicy(api: ApiPagingPolicy): PagingStep[] {
  return [...api.steps]
    .sort((a, b) => a.index - b.index)
    .map((s) => ({
      index: s.index + 1,
      timeout: s.timeout,
      rules: [...s.rules]
        .sort((a, b) => a.index - b.index)
        .map((r) => ({ type: r.type, contactId: r.contact?.id ?? null })),
    }));
}

/**
 * A body VictorOps answered with is quoted in the client's errors (a body that was not JSON, or an
 * error status's text); from these endpoints that excerpt could hold a phone number or an
 * address, so the error keeps only what failed: the request, the status, the kind of failure.
 * `doctor` uses it for its reads of the same endpoints.
 */
export function withoutExcerpt(error: unknown): unknown {
  if (!(error instanceof VictorOpsError)) return error;
  const options = {
    retryable: error.retryable,
    ...(error.path === undefined ? {} : { path: error.path }),
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
  if (error.code === 'malformed')
    return new VictorOpsError(
      'malformed',
      `GET ${error.path ?? 'contacts'}: the answer was not the expected JSON`,
      options,
    );
  // `…: "<excerpt>"` or `…: an HTML page: "<excerpt>"`: everything from the quote on goes.
  const cut = error.message.search(/: (?:an HTML page: )?"/);
  if (cut < 0) return error;
  return new VictorOpsError(
    error.code,
    `${error.message.slice(0, cut)} (the answer's text is not shown: it may hold contact details)`,
    options,
  );
}

/** Two requests; null when VictorOps does not know the person (404 on either). */
export async function fetchPersonContacts(
  client: VictorOpsClient,
  username: string,
  signal?: AbortSignal,
): Promise<PersonContacts | null> {
  const user = encodePathSegment(username);
  try {
    const methods = await client.get(`/v1/user/${user}/contact-methods`, contactMethodsSchema, signal);
    const policy = await client.get(`/v1/profile/${user}/policies`, pagingPolicySchema, signal);
    return { username, methods: reduceContactMethods(methods), pagingPolicy: reducePagingPolicy(policy) };
  } catch (error) {
    if (error instanceof VictorOpsError && error.code === 'not_found') return null;
    throw withoutExcerpt(error);
  }
}

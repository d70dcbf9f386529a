import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { IdentitySourceError } from '../../../src/errors.js';
import { createPagingGuard, MAX_LIST_MS, MAX_LIST_PAGES } from '../../../src/identity/http.js';

const clockAt = (at: { ms: number }): Clock => ({ now: () => at.ms, sleep: async () => undefined });
const failureOf = (f: () => void): IdentitySourceError => {
  try {
    f();
  } catch (error) {
    return error as IdentitySourceError;
  }
  throw new Error('the guard let the page through');
};

describe('the paging guard of the identity sources', () => {
  it('fails a cursor read before, counting the pages read, never quoting the cursor', () => {
    const guard = createPagingGuard('Okta', 'the next page', clockAt({ ms: 0 }));
    guard.next('https://acme.okta.com/api/v1/users?after=secret-cursor-1');
    guard.next('https://acme.okta.com/api/v1/users?after=secret-cursor-2');
    const error = failureOf(() => guard.next('https://acme.okta.com/api/v1/users?after=secret-cursor-1'));
    expect(error).toBeInstanceOf(IdentitySourceError);
    expect(error.code).toBe('bad-response');
    expect(error.message).toBe(
      'Okta: the next page points to a page already read (after 2 pages): the user list never ends, so it is not trusted',
    );
  });

  it(`fails page ${MAX_LIST_PAGES + 1}, and lets page ${MAX_LIST_PAGES} through`, () => {
    const guard = createPagingGuard('Google Workspace', 'a nextPageToken', clockAt({ ms: 0 }));
    for (let i = 0; i < MAX_LIST_PAGES; i++) guard.next(`token-${i}`);
    expect(failureOf(() => guard.next('one-more')).message).toBe(
      `Google Workspace: more than ${MAX_LIST_PAGES} pages (after ${MAX_LIST_PAGES} pages): the user list never ends, so it is not trusted`,
    );
  });

  it('fails the first page asked for after the time budget, not one before it', () => {
    const at = { ms: 1_000_000 };
    const guard = createPagingGuard('Microsoft Graph', 'an @odata.nextLink', clockAt(at));
    guard.next('page-1');
    at.ms += MAX_LIST_MS; // exactly the budget: still allowed
    guard.next('page-2');
    at.ms += 1;
    expect(failureOf(() => guard.next('page-3')).message).toBe(
      'Microsoft Graph: still paging after 30 minutes (after 2 pages): the user list never ends, so it is not trusted',
    );
  });
});

/**
 * An error answer from the contact endpoints may carry the very values roster-watch never keeps
 * (a phone number, an address). The client quotes a body's first words in its errors; the contacts
 * read drops that quote, whatever the status or form, and keeps the request and the status.
 * Checked against a real HTTP server with the real client.
 */
import type { RequestListener } from 'node:http';
import { describe, expect, it } from 'vitest';
import { VictorOpsError } from '../../../src/errors.js';
import { fetchPersonContacts } from '../../../src/victorops/fetch-contacts.js';
import { withServedClient } from '../../helpers/client.js';

const PHONE = '+1 555 867 5309';
const EMAIL = 'jane.doe@private.example';

async function failureFor(status: number, contentType: string, body: string): Promise<VictorOpsError> {
  const answer: RequestListener = (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
  const error = await withServedClient(answer, (client) =>
    fetchPersonContacts(client, 'jane', new AbortController().signal).then(
      () => null,
      (e: unknown) => e,
    ),
  );
  expect(error).toBeInstanceOf(VictorOpsError);
  return error as VictorOpsError;
}

describe('error answers from the contact endpoints', () => {
  it.each([
    [500, 'application/json', JSON.stringify({ message: `cannot text ${PHONE} or mail ${EMAIL}` })],
    [403, 'text/plain', `blocked while paging ${PHONE}`],
    [502, 'text/html', `<html><body><p>upstream failed for ${EMAIL}</p></body></html>`],
    [200, 'text/plain', `phone ${PHONE}`],
  ])('a %i answer is named by its status and request, never quoted', async (status, type, body) => {
    const error = await failureFor(status, type, body);
    expect(error.message).toContain('GET /v1/user/jane/contact-methods');
    if (status >= 500) expect(error.message).toContain(String(status));
    for (const secret of [PHONE, '5558675309', '867 5309', EMAIL, 'private.example'])
      expect(error.message).not.toContain(secret);
    expect(String(error.stack)).not.toContain(PHONE);
  });
});

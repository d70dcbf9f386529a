/**
 * docs/events.md promises an example for every event type. The examples are checked against the
 * same JSON Schema the emitted events are checked against, so the page cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../src/roster/events.js';
import { assertValidEvent } from '../../helpers/event-schema.js';

const page = readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'docs', 'events.md'), 'utf8');

/** The first ```json block after the `### \`type\`` heading, parsed. */
function exampleFor(type: string): unknown {
  const heading = page.indexOf(`\n### \`${type}\`\n`);
  if (heading < 0) throw new Error(`docs/events.md has no "### \`${type}\`" section`);
  const block = /```json\n([\s\S]*?)```/.exec(page.slice(heading));
  if (block === null) throw new Error(`docs/events.md: no JSON example under ${type}`);
  return JSON.parse(block[1]!);
}

function envelopeAround(type: string, data: unknown): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: '37fbb271-4c1a-4cea-b6dc-06667076cafb',
    source: 'urn:roster-watch:victorops:822b33ad87c148a0',
    type,
    subject: 'example',
    time: '2026-11-27T14:02:09.614Z',
    datacontenttype: 'application/json',
    runid: 2,
    sequence: '0000000000000003',
    data,
  };
}

describe('docs/events.md', () => {
  it('shows a whole event that matches the schema', () => {
    const first = /```json\n([\s\S]*?)```/.exec(page);
    const event = JSON.parse(first![1]!) as { specversion?: string };
    expect(event.specversion).toBe('1.0');
    assertValidEvent(event);
  });

  it("the README's example event matches the schema", () => {
    const readme = readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
    const block = /```json\n([\s\S]*?)```/.exec(readme);
    assertValidEvent(JSON.parse(block![1]!));
  });

  it.each(EVENT_TYPES.map((type) => [type]))('has a schema-valid data example for %s', (type) => {
    assertValidEvent(envelopeAround(type, exampleFor(type)));
  });

  it('documents no event type the code does not emit', () => {
    const documented = [...page.matchAll(/\n### `((?:victorops|rosterwatch)\.[a-z_.]+)`\n/g)].map(
      (m) => m[1],
    );
    expect(documented.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t!))).toEqual([]);
  });
});

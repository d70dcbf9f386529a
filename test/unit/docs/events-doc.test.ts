/**
 * docs/events.md promises an example for every event type. Every JSON example on that page and in
 * the README is checked twice: against the JSON Schema consumers get (schemas/events.schema.json)
 * and against the catalogue the producers build with (src/contract/catalogue.ts), which also
 * requires the fields older stored events lack, so the page shows what the code emits today.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_DATA, envelopeSchema } from '../../../src/contract/catalogue.js';
import { EVENT_TYPES, type EventType } from '../../../src/roster/events.js';
import { assertValidEvent } from '../../helpers/event-schema.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const page = readFileSync(resolve(root, 'docs', 'events.md'), 'utf8');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');

const HEADING = /\n### `((?:victorops|rosterwatch)\.[a-z_.]+)`\n/g;

interface Example {
  /** Where it is, for the test's name: the file and line. */
  at: string;
  /** The `### \`type\`` section it is under, if any. */
  section: string | null;
  json: unknown;
}

/** Every ```json block of a Markdown text, with the event-type section it stands in. */
function examplesOf(text: string, file: string): Example[] {
  const headings = [...text.matchAll(HEADING)].map((m) => ({ at: m.index, type: m[1]! }));
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((block) => {
    const before = headings.filter((h) => h.at < block.index);
    return {
      at: `${file}:${text.slice(0, block.index).split('\n').length}`,
      section: before.at(-1)?.type ?? null,
      json: JSON.parse(block[1]!),
    };
  });
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

function isWholeEvent(json: unknown): json is { type: EventType; data: unknown } {
  return typeof json === 'object' && json !== null && 'specversion' in json;
}

/** The example as a whole event, and the type it claims. */
function asEvent(example: Example): { type: EventType; event: { type: EventType; data: unknown } } {
  if (isWholeEvent(example.json)) return { type: example.json.type, event: example.json };
  if (example.section === null)
    throw new Error(`${example.at}: JSON that is neither an event nor under a type`);
  const type = example.section as EventType;
  return { type, event: envelopeAround(type, example.json) as { type: EventType; data: unknown } };
}

const examples = [...examplesOf(page, 'docs/events.md'), ...examplesOf(readme, 'README.md')];

describe('the event examples in docs/events.md and the README', () => {
  it('are all found: one whole event on each page, a data example for every type', () => {
    expect(examples.filter((e) => isWholeEvent(e.json)).map((e) => e.at.split(':')[0])).toEqual([
      'docs/events.md',
      'README.md',
    ]);
    const typed = examples.filter((e) => !isWholeEvent(e.json)).map((e) => e.section);
    expect([...new Set(typed)].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(examples.map((e) => [e.at, e]))('%s matches the JSON Schema', (_at, example) => {
    assertValidEvent(asEvent(example).event);
  });

  it.each(examples.map((e) => [e.at, e]))('%s is what the producers build today', (_at, example) => {
    const { type, event } = asEvent(example);
    const parsed = envelopeSchema.safeParse(event);
    expect(parsed.error?.issues ?? []).toEqual([]);
    const data = EVENT_DATA[type].safeParse(event.data);
    expect(data.error?.issues ?? []).toEqual([]);
  });

  it('documents no event type the code does not emit', () => {
    const documented = [...page.matchAll(HEADING)].map((m) => m[1]);
    expect(documented.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t!))).toEqual([]);
  });
});

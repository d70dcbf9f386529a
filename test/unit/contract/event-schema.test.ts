/**
 * schemas/events.schema.json is generated from the event catalogue (src/contract/catalogue.ts) by
 * `npm run schemas`. These tests fail while the committed file and the catalogue disagree, and pin
 * the two rules the generator adds to zod's own export.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_DATA } from '../../../src/contract/catalogue.js';
import { eventJsonSchema } from '../../../src/contract/json-schema.js';
import { EVENT_TYPES } from '../../../src/roster/events.js';
import { assertValidEvent } from '../../helpers/event-schema.js';

const committed = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'schemas', 'events.schema.json'), 'utf8'),
);

type Branch = { if: { properties: { type: { const: string } } }; then: { properties: { data: DataSchema } } };
type DataSchema = { required: string[]; properties: Record<string, { maximum?: number }> };

function dataSchemaOf(schema: { allOf: Branch[] }, type: string): DataSchema {
  const branch = schema.allOf.find((b) => b.if.properties.type.const === type);
  if (branch === undefined) throw new Error(`no allOf entry for ${type}`);
  return branch.then.properties.data;
}

describe('schemas/events.schema.json', () => {
  it('is what the catalogue generates (run `npm run schemas` after changing src/contract/)', () => {
    expect(committed).toEqual(eventJsonSchema());
  });

  it('has one type in the enum and one data schema per event type the code knows', () => {
    expect([...committed.properties.type.enum].sort()).toEqual([...EVENT_TYPES].sort());
    expect(committed.allOf.map((b: Branch) => b.if.properties.type.const).sort()).toEqual(
      [...EVENT_TYPES].sort(),
    );
  });

  it('tells consumers a field older events lack is optional, while the producers must set it', () => {
    const removed = dataSchemaOf(committed, 'victorops.user.removed');
    expect(removed.required).toEqual(['user']);
    expect(Object.keys(removed.properties)).toEqual(['user', 'policies']);
    const user = {
      username: 'ann',
      firstName: null,
      lastName: null,
      displayName: null,
      email: null,
      createdAt: null,
      passwordLastUpdated: null,
      verified: null,
    };
    expect(EVENT_DATA['victorops.user.removed'].safeParse({ user }).success).toBe(false);
    expect(EVENT_DATA['victorops.user.removed'].safeParse({ user, policies: [] }).success).toBe(true);
  });

  it('does not bound integers to the safe range zod adds', () => {
    expect(JSON.stringify(committed)).not.toContain(String(Number.MAX_SAFE_INTEGER));
    expect(dataSchemaOf(committed, 'rosterwatch.baseline').properties.users).toEqual({
      type: 'integer',
      minimum: 0,
    });
  });

  it('accepts an event the catalogue accepts, and refuses a field the catalogue does not know', () => {
    const event = {
      specversion: '1.0',
      id: '37fbb271-4c1a-4cea-b6dc-06667076cafb',
      source: 'urn:roster-watch:victorops:822b33ad87c148a0',
      type: 'victorops.team.added',
      subject: 'team-x',
      time: '2026-11-27T14:02:09.614Z',
      datacontenttype: 'application/json',
      sequence: '0000000000000003',
      data: { team: { slug: 'team-x', name: 'X' } },
    };
    expect(EVENT_DATA['victorops.team.added'].safeParse(event.data).success).toBe(true);
    assertValidEvent(event);
    expect(() =>
      assertValidEvent({ ...event, data: { team: { slug: 'team-x', name: 'X', colour: 'red' } } }),
    ).toThrow(/additional properties/);
  });
});

/**
 * The members lists' fast path against zod's (the reference): the same usernames for every body
 * zod accepts, and null (so zod runs and reports) for every body it refuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeSchemaIssue, teamMembersSchema } from '../../../src/victorops/schemas.js';
import { readTeamMembersFast, teamMembersReader } from '../../../src/victorops/team-members-reader.js';
import { readFixture } from '../../helpers/victorops-fixtures.js';

/** What the fetch got before the fast path: zod's usernames, or its error's description. */
function throughZod(body: unknown): string[] | null {
  const parsed = teamMembersSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

const username = fc.oneof(
  fc.constantFrom('jane.doe', 'Jane.Doe', ' jane.doe ', 'soren+oncall', ' ', 'İ', 'Søren'),
  fc.string({ maxLength: 5 }),
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
  fc.constant(['x']),
  fc.constant({ username: 'x' }),
);
/** A member as the reference shows it (username, firstName, lastName, version, verified), fields optional. */
const member = fc.record(
  {
    username: fc.oneof({ weight: 8, arbitrary: username }, { weight: 1, arbitrary: wrongType }),
    firstName: fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)),
    lastName: fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)),
    version: fc.oneof(fc.nat(9), fc.constant('3')),
    verified: fc.oneof(fc.boolean(), fc.constant(null)),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        _selfUrl: fc.constant('/api-public/v1/team/team-1/members'),
        members: fc.array(fc.oneof({ weight: 12, arbitrary: member }, { weight: 1, arbitrary: wrongType }), {
          maxLength: 8,
        }),
      },
      { requiredKeys: ['members'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ members: wrongType }) },
  { weight: 1, arbitrary: wrongType },
  { weight: 1, arbitrary: fc.array(member, { maxLength: 2 }) },
);

describe('the members lists fast path', () => {
  it('gives the usernames zod gives for every body zod accepts, and leaves every other body to zod', () => {
    fc.assert(
      fc.property(body, (json) => {
        // through JSON, as the client hands it over
        const parsedJson: unknown = JSON.parse(JSON.stringify(json));
        expect(readTeamMembersFast(parsedJson)).toEqual(throughZod(parsedJson));
      }),
      { numRuns: 2_000 },
    );
  });

  it("reads the reference's fixture as zod does", () => {
    const fixture = readFixture('v1-team-members.json');
    expect(readTeamMembersFast(fixture)).toEqual(['jane.doe', 'soren+oncall']);
    expect(readTeamMembersFast(fixture)).toEqual(teamMembersSchema.parse(fixture));
  });

  it('refuses what zod refuses, so the error stays the one zod describes', () => {
    const bodies: [unknown, string][] = [
      [
        { members: [{ username: '' }] },
        'members[0].username: Too small: expected string to have >=1 characters',
      ],
      [{ members: [{ username: 'a' }, { firstName: 'Jane' }] }, 'members[1].username: expected string'],
      [{ members: [{ username: 7 }] }, 'members[0].username: expected string'],
      [{ members: 'jane.doe' }, 'members: expected array'],
      [{ team: [] }, 'members: expected array'],
      [[{ username: 'jane.doe' }], 'body: expected object'],
    ];
    for (const [json, error] of bodies) {
      expect(readTeamMembersFast(json)).toBeNull();
      const parsed = teamMembersReader.schema.safeParse(json);
      expect(parsed.success).toBe(false);
      if (!parsed.success) expect(describeSchemaIssue(parsed.error)).toBe(error);
    }
  });
});

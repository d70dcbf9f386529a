/**
 * Contract: the routing-key list schema reads the real-shape fixture (test/fixtures/victorops,
 * source in its README): a key with two targets, one with none, the default `.+`.
 */
import { describe, expect, it } from 'vitest';
import { normaliseRoutingKeys } from '../../../src/roster/routing-keys.js';
import { describeSchemaIssue, routingKeyListSchema } from '../../../src/victorops/schemas.js';
import { readFixture } from '../../helpers/victorops-fixtures.js';

describe('GET /v1/org/routing-keys', () => {
  it('reads every key, its targets and the default flag from the fixture', () => {
    const keys = normaliseRoutingKeys(routingKeyListSchema.parse(readFixture('v1-org-routing-keys.json')));
    expect(keys).toEqual([
      {
        routingKey: '.+',
        isDefault: true,
        targets: [{ policySlug: 'pol-00VkR4NvJvM5h9Ae', policyName: 'Ops primary' }],
      },
      {
        routingKey: 'db-critical',
        isDefault: false,
        targets: [
          { policySlug: 'pol-Wq2kP0sLx8cVb3Nd', policyName: 'DB secondary' },
          { policySlug: 'pol-tq09wTVkG7BzuMY0', policyName: 'DB primary' },
        ],
      },
      { routingKey: 'legacy-billing', isDefault: false, targets: [] },
    ]);
  });

  it('ignores isMultiResponder (later Go client versions) and a missing isDefault reads as false', () => {
    const keys = routingKeyListSchema.parse({
      routingKeys: [{ routingKey: 'k', targets: [], isMultiResponder: true }],
    });
    expect(keys).toEqual([{ routingKey: 'k', isDefault: false, targets: [] }]);
  });

  it('a body without the routingKeys array is a shape error naming the field', () => {
    const parsed = routingKeyListSchema.safeParse({ keys: [] });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeSchemaIssue(parsed.error)).toMatch(/^routingKeys: expected array/);
  });
});

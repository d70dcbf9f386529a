import { describe, expect, it } from 'vitest';
import {
  type DestinationSpec,
  destinationSpecsFromConfig,
  matchesEventFilter,
  planDeliveries,
  SLACK_DESTINATION,
} from '../../../src/roster/delivery-plan.js';

describe('matchesEventFilter', () => {
  it.each([
    ['victorops.user.added', [], true],
    ['victorops.user.added', ['victorops.user.*'], true],
    ['victorops.user.changed', ['victorops.user.*'], true],
    ['victorops.membership.added', ['victorops.user.*'], false],
    ['victorops.team.removed', ['victorops.*'], true],
    ['rosterwatch.baseline', ['victorops.*'], false],
    ['rosterwatch.baseline', ['*'], true],
    ['victorops.team.added', ['victorops.team.added'], true],
    ['victorops.team.added', ['victorops.team.removed'], false],
    ['victorops.team.added', ['victorops.team'], false],
    ['victorops.user.added', ['victorops.*.added'], true],
    ['victorops.user.removed', ['victorops.*.added', 'rosterwatch.*'], false],
    ['victorops.userXadded', ['victorops.user.added'], false],
  ] as const)('%s against %j is %s', (type, patterns, expected) => {
    expect(matchesEventFilter(type, patterns)).toBe(expected);
  });
});

const hook = (name: string, events: string[] = []): DestinationSpec => ({ name, kind: 'webhook', events });
const slack: DestinationSpec = { name: SLACK_DESTINATION, kind: 'slack', events: [] };

describe('planDeliveries', () => {
  const events = [
    { sequence: 3, type: 'victorops.membership.added', runId: 1 },
    { sequence: 1, type: 'victorops.user.added', runId: 1 },
    { sequence: 2, type: 'victorops.user.changed', runId: 1 },
    { sequence: 4, type: 'rosterwatch.poll.failing', runId: 2 },
    { sequence: 5, type: 'victorops.team.added', runId: 3 },
    { sequence: 6, type: 'rosterwatch.endpoint.disabled', runId: null },
  ];

  it('gives a webhook without a filter every event, oldest first', () => {
    const plan = planDeliveries(events, [hook('all')]);
    expect(plan.map((p) => p.eventSequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(plan.every((p) => p.kind === 'event' && p.destination === 'all')).toBe(true);
  });

  it('routes by the webhook filter', () => {
    const plan = planDeliveries(events, [
      hook('users', ['victorops.user.*']),
      hook('notices', ['rosterwatch.*']),
    ]);
    expect(plan.filter((p) => p.destination === 'users').map((p) => p.eventSequence)).toEqual([1, 2]);
    expect(plan.filter((p) => p.destination === 'notices').map((p) => p.eventSequence)).toEqual([4, 6]);
  });

  it('gives Slack one digest per run with changes, anchored at its first change, and one row per notice', () => {
    const plan = planDeliveries(events, [slack]);
    expect(plan).toEqual([
      { destination: 'slack', destinationKind: 'slack', kind: 'digest', eventSequence: 1, runId: 1 },
      { destination: 'slack', destinationKind: 'slack', kind: 'event', eventSequence: 4, runId: 2 },
      { destination: 'slack', destinationKind: 'slack', kind: 'digest', eventSequence: 5, runId: 3 },
      { destination: 'slack', destinationKind: 'slack', kind: 'event', eventSequence: 6, runId: null },
    ]);
  });

  it('plans nothing for no events or no destinations', () => {
    expect(planDeliveries([], [hook('a'), slack])).toEqual([]);
    expect(planDeliveries(events, [])).toEqual([]);
  });

  it('derives specs from the delivery config, Slack last', () => {
    const specs = destinationSpecsFromConfig({
      webhooks: [{ name: 'a', events: ['victorops.*'] }],
      slack: { url: 'https://hooks.slack.example/x' },
      eventsFile: null,
    });
    expect(specs).toEqual([
      { name: 'a', kind: 'webhook', events: ['victorops.*'] },
      { name: 'slack', kind: 'slack', events: [] },
    ]);
    expect(destinationSpecsFromConfig({ webhooks: [], slack: null, eventsFile: null })).toEqual([]);
  });

  it('routes every matching event, one by one, to the events file', () => {
    const specs = destinationSpecsFromConfig({
      webhooks: [],
      slack: null,
      eventsFile: { events: ['victorops.user.*', 'rosterwatch.baseline'] },
    });
    expect(specs).toEqual([
      { name: 'events-file', kind: 'file', events: ['victorops.user.*', 'rosterwatch.baseline'] },
    ]);
    const routed = [
      { sequence: 3, type: 'victorops.team.created', runId: 1 },
      { sequence: 1, type: 'victorops.user.created', runId: 1 },
      { sequence: 2, type: 'victorops.user.removed', runId: 1 },
      { sequence: 4, type: 'rosterwatch.baseline', runId: null },
    ];
    expect(planDeliveries(routed, specs)).toEqual(
      [1, 2, 4].map((sequence) => ({
        destination: 'events-file',
        destinationKind: 'file',
        kind: 'event',
        eventSequence: sequence,
        runId: sequence === 4 ? null : 1,
      })),
    );
  });
});

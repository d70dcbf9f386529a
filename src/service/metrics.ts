/**
 * The daemon's Prometheus metrics, in a registry of its own (never prom-client's global one, so
 * tests and several daemons in one process cannot collide). Label values come from small fixed
 * sets or from destination names in the configuration: never usernames, emails or secrets.
 * Series are pre-initialised to 0 so that rate() and absent() alerts work from the first scrape.
 */
import { createHistogram } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryOutcome } from '../delivery/settle-attempt.js';
import { FINDING_KINDS } from '../roster/coverage-types.js';
import { EVENT_TYPES, isChangeEvent } from '../roster/events.js';
import type { PolicyRunStatus } from '../roster/policy-decision.js';
import type { RunStatus } from '../roster/poll-decision.js';
import type { FetchStats } from '../roster/types.js';

const RUN_STATUSES: readonly RunStatus[] = ['ok', 'partial', 'failed', 'held', 'baseline'];
const POLICY_RUN_STATUSES: readonly PolicyRunStatus[] = ['ok', 'partial', 'failed', 'baseline'];
const CHANGE_TYPES: readonly string[] = EVENT_TYPES.filter(isChangeEvent);
const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'failed', 'dead', 'disabled'];
/** 2 is an unchanged poll with hints; a 10,000-user org without them is 2 + teams. */
const POLL_REQUEST_BUCKETS = [2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];
/**
 * How often the event loop lag series (`nodejs_eventloop_lag_p50_seconds` and the rest) take a
 * sample. prom-client's own histogram samples every 10 ms, which woke the idle daemon's event loop
 * 100 times a second: 0.21–0.25 s CPU per 20 idle seconds (issue 21, forty-seventh part), 3–4 s
 * every five minutes between polls, more than an unchanged poll costs. Its series are replaced by
 * `eventLoopLagSeries`, sampled this often: a block of the loop as long as this always shows.
 */
export const EVENT_LOOP_SAMPLE_MS = 500;
/** prom-client's own histogram, whose series are replaced, left to wake once an hour. */
const REPLACED_HISTOGRAM_MS = 3_600_000;

/** The seven series prom-client derives from its event loop delay histogram, and what each holds. */
const LAG_SERIES = [
  ['min', 'The least event loop lag sampled since the last scrape.'],
  ['max', 'The greatest event loop lag sampled since the last scrape.'],
  ['mean', 'The mean event loop lag sampled since the last scrape.'],
  ['stddev', 'The standard deviation of the event loop lag sampled since the last scrape.'],
  ['p50', 'The 50th percentile of the event loop lag sampled since the last scrape.'],
  ['p90', 'The 90th percentile of the event loop lag sampled since the last scrape.'],
  ['p99', 'The 99th percentile of the event loop lag sampled since the last scrape.'],
] as const;

/**
 * prom-client's `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`, sampled every
 * EVENT_LOOP_SAMPLE_MS instead of every 10 ms, in `registry` instead of its own. Each sample is how
 * late a timer of this period fired (0 when idle, a block's remaining length when the loop was
 * blocked), recorded by this timer itself. Not Node's `monitorEventLoopDelay`: it records each
 * interval between its firings, the period included (at 10 ms an idle loop read ~0.010 s, at this
 * period it would read ~0.5 s), and its reset also forgets its last firing, so a block in the
 * period after a scrape went unrecorded. A scrape with no new sample (two within one period) leaves
 * the values of the one before; the samples are cleared after each scrape that read some.
 */
function eventLoopLagSeries(registry: Registry): void {
  const lateness = createHistogram();
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    // In ns; the histogram takes whole numbers from 1.
    lateness.record(Math.max(1, Math.round((now - last - EVENT_LOOP_SAMPLE_MS) * 1e6)));
    last = now;
  }, EVENT_LOOP_SAMPLE_MS).unref();
  const values: Record<(typeof LAG_SERIES)[number][0], number> = {
    min: 0,
    max: 0,
    mean: 0,
    stddev: 0,
    p50: 0,
    p90: 0,
    p99: 0,
  };
  // Every series' collect calls it: the first of a scrape reads the samples, the others find none.
  const refresh = () => {
    if (lateness.count === 0) return;
    values.min = lateness.min / 1e9;
    values.max = lateness.max / 1e9;
    values.mean = lateness.mean / 1e9;
    values.stddev = lateness.stddev / 1e9;
    values.p50 = lateness.percentile(50) / 1e9;
    values.p90 = lateness.percentile(90) / 1e9;
    values.p99 = lateness.percentile(99) / 1e9;
    lateness.reset();
  };
  for (const [key, help] of LAG_SERIES) {
    const name = `nodejs_eventloop_lag_${key}_seconds`;
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        refresh();
        this.set(values[key]);
      },
    });
  }
}
/** A poll is ~1 s for a small org and up to tens of minutes for a large one at the API's 2 req/s. */
const POLL_DURATION_BUCKETS_SECONDS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export interface ServiceMetricsDeps {
  /** Configured destination names, so their series exist before the first delivery. */
  destinations: readonly string[];
  /** Read at each scrape, so the gauge is the database's truth rather than a running guess. */
  outboxCounts: () => readonly { destination: string; pending: number; failed: number }[];
  /** The VictorOps client's counters since it was created (monotonic, so they map to counters). */
  victorOpsStats: () => FetchStats;
  /** The same, per job (roster, policy, other): each job's own requests, never another's. */
  victorOpsStatsByJob?: () => Partial<Record<string, FetchStats>>;
  /** Every job name, so each per-job series exists (at 0) from the first scrape. */
  jobNames?: readonly string[];
  /** When the last successful poll finished before this process started, if ever. */
  lastSuccessAtMs: number | null;
  /** Default process metrics (CPU, memory, event loop lag); on unless a test turns them off. */
  processMetrics?: boolean;
  /** Open coverage findings by kind, read at each scrape. */
  openFindings?: () => readonly { kind: string; open: number }[];
  /** Whether the stored mark says the membership hints proved unreliable, read at each scrape. */
  hintsUnreliable?: () => boolean;
  /** The VictorOps client's 200 answers that did not match their schema, by endpoint class. */
  victorOpsShapeErrors?: () => Record<string, number>;
  /** Every endpoint class a shape error can name, so each series exists (at 0) before the first error. */
  endpointClasses?: readonly string[];
}

export interface PollObservation {
  status: RunStatus;
  durationMs: number;
  events: readonly { type: string }[];
  /** The fetch, when the user list was read: its request count feeds roster_poll_requests. */
  fetched?: { stats: FetchStats } | null;
  /** Swaps caught by verification reads in this poll (roster_membership_verify_catches_total). */
  verifyCatches?: number;
}

export interface ServiceMetrics {
  registry: Registry;
  contentType: string;
  /** A poll that was recorded; `finishedAtMs` feeds the last-success timestamp. */
  recordPoll(poll: PollObservation, finishedAtMs: number): void;
  recordSkippedTick(): void;
  /** A policy poll that was recorded (or failed to be), and how long it ran when it was. */
  recordPolicyPoll(status: PolicyRunStatus, durationMs?: number): void;
  /** A policy tick skipped or deferred because a policy poll was still running. */
  recordPolicyTick(outcome: 'skipped' | 'deferred'): void;
  /** One contacts poll: its status and how many people it read. */
  recordContactsPoll(status: 'ok' | 'partial' | 'failed', read: number): void;
  recordDelivery(destination: string, outcome: DeliveryOutcome): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
}

function isSuccess(status: RunStatus): boolean {
  // A held run fetched the roster fine; the guard holding a change back is not an outage.
  return status !== 'failed';
}

export function createServiceMetrics(deps: ServiceMetricsDeps): ServiceMetrics {
  const registry = new Registry();
  if (deps.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: REPLACED_HISTOGRAM_MS });
    eventLoopLagSeries(registry);
  }

  const runs = new Counter({
    name: 'roster_poll_runs_total',
    help: 'Poll runs recorded, by status (ok, partial, failed, held, baseline).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  for (const status of RUN_STATUSES) runs.inc({ status }, 0);

  const duration = new Histogram({
    name: 'roster_poll_duration_seconds',
    help: 'How long a poll took, from the first request to the commit.',
    buckets: POLL_DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });

  const lastSuccess = new Gauge({
    name: 'roster_last_success_timestamp_seconds',
    help: 'Unix time at which the last successful poll finished (0 if none yet).',
    registers: [registry],
  });
  lastSuccess.set(deps.lastSuccessAtMs === null ? 0 : deps.lastSuccessAtMs / 1000);

  const statCounter = (name: string, help: string, read: (stats: FetchStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(deps.victorOpsStats()));
      },
    });
  statCounter(
    'roster_victorops_requests_total',
    'HTTP requests sent to the VictorOps API.',
    (s) => s.requests,
  );
  new Counter({
    name: 'roster_victorops_shape_errors_total',
    help: 'VictorOps 200 answers whose body did not match the expected shape, by endpoint class.',
    labelNames: ['endpoint'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const endpoint of deps.endpointClasses ?? []) this.inc({ endpoint }, 0);
      for (const [endpoint, count] of Object.entries(deps.victorOpsShapeErrors?.() ?? {}))
        this.inc({ endpoint }, count);
    },
  });
  new Counter({
    name: 'roster_victorops_job_requests_total',
    help: 'HTTP requests sent to the VictorOps API, by the job that sent them (roster, policy, other).',
    labelNames: ['job'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const job of deps.jobNames ?? []) this.inc({ job }, 0);
      for (const [job, stats] of Object.entries(deps.victorOpsStatsByJob?.() ?? {}))
        if (stats) this.inc({ job }, stats.requests);
    },
  });
  statCounter('roster_victorops_retries_total', 'VictorOps requests that were retried.', (s) => s.retries);
  statCounter(
    'roster_victorops_rate_limited_total',
    'VictorOps answers that said the rate limit was hit (429, or 403 under load).',
    (s) => s.rateLimited,
  );

  const changes = new Counter({
    name: 'roster_changes_total',
    help: 'Roster changes recorded, by event type.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  for (const type of CHANGE_TYPES) changes.inc({ type }, 0);

  const skipped = new Counter({
    name: 'roster_poll_skipped_ticks_total',
    help: 'Schedule ticks skipped because the previous poll was still running.',
    registers: [registry],
  });

  new Gauge({
    name: 'roster_outbox_pending',
    help: 'Deliveries waiting to be sent or retried, by destination.',
    labelNames: ['destination'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const destination of deps.destinations) this.set({ destination }, 0);
      for (const c of deps.outboxCounts()) this.set({ destination: c.destination }, c.pending + c.failed);
    },
  });

  const deliveries = new Counter({
    name: 'roster_deliveries_total',
    help: 'Delivery attempts, by destination and outcome (delivered, failed, dead, disabled).',
    labelNames: ['destination', 'outcome'] as const,
    registers: [registry],
  });
  for (const destination of deps.destinations) {
    for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ destination, outcome }, 0);
  }

  const policyRuns = new Counter({
    name: 'roster_policy_poll_runs_total',
    help: 'Policy poll runs (escalation policies and on-call schedules), by status (ok, partial, failed, baseline).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  for (const status of POLICY_RUN_STATUSES) policyRuns.inc({ status }, 0);

  const policyDuration = new Histogram({
    name: 'roster_policy_poll_duration_seconds',
    help: 'How long a policy poll took, from the first request to the commit.',
    buckets: POLL_DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });

  const policyTicks = new Counter({
    name: 'roster_policy_poll_ticks_total',
    help: 'Policy schedule ticks that came while a policy poll ran: deferred (run when it ended) or skipped (one was already deferred).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['deferred', 'skipped']) policyTicks.inc({ outcome }, 0);

  const contactsRuns = new Counter({
    name: 'roster_contacts_poll_runs_total',
    help: 'Contacts poll runs (contact methods and personal paging policies), by status (ok, partial, failed).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  for (const status of ['ok', 'partial', 'failed']) contactsRuns.inc({ status }, 0);

  const contactsRead = new Histogram({
    name: 'roster_contacts_read_per_poll',
    help: 'People whose contact methods and paging policy one contacts poll read (two requests each).',
    buckets: POLL_REQUEST_BUCKETS,
    registers: [registry],
  });

  new Gauge({
    name: 'roster_coverage_findings_open',
    help: 'Open coverage findings, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const kind of FINDING_KINDS) this.set({ kind }, 0);
      for (const f of deps.openFindings?.() ?? []) this.set({ kind: f.kind }, f.open);
    },
  });

  const pollRequests = new Histogram({
    name: 'roster_poll_requests',
    help: 'VictorOps requests one roster poll made (2 lists + the membership reads), retries included.',
    buckets: POLL_REQUEST_BUCKETS,
    registers: [registry],
  });

  const verifyCatches = new Counter({
    name: 'roster_membership_verify_catches_total',
    help: 'Membership changes that kept a team’s member count (swaps), found by verification reads rather than by the team list: the hints’ documented blind spot.',
    registers: [registry],
  });

  new Gauge({
    name: 'roster_membership_hints_unreliable',
    help: '1 while the API contradicts its own member counts (a team read in full differs from its listed memberCount): every poll then reads every team, until a verify interval passes without a contradiction.',
    registers: [registry],
    collect() {
      this.set(deps.hintsUnreliable?.() ? 1 : 0);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    recordPolicyPoll(status, durationMs) {
      policyRuns.inc({ status });
      if (durationMs !== undefined) policyDuration.observe(durationMs / 1000);
    },
    recordPolicyTick: (outcome) => policyTicks.inc({ outcome }),
    recordContactsPoll(status, read) {
      contactsRuns.inc({ status });
      if (status !== 'failed') contactsRead.observe(read);
    },
    recordPoll(poll, finishedAtMs) {
      runs.inc({ status: poll.status });
      duration.observe(poll.durationMs / 1000);
      if (poll.fetched) pollRequests.observe(poll.fetched.stats.requests);
      if (poll.verifyCatches) verifyCatches.inc(poll.verifyCatches);
      if (isSuccess(poll.status)) lastSuccess.set(finishedAtMs / 1000);
      for (const event of poll.events) {
        // Only the bounded set of change types becomes a label value.
        if (CHANGE_TYPES.includes(event.type)) changes.inc({ type: event.type });
      }
    },
    recordSkippedTick: () => skipped.inc(),
    recordDelivery: (destination, outcome) => deliveries.inc({ destination, outcome }),
    render: () => registry.metrics(),
  };
}

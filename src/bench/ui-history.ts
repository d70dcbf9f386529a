/**
 * A large recorded history for the web view benchmark, written with direct inserts in one
 * transaction (the poll path would take hours to write a year of history): a year of hourly roster
 * runs and daily policy runs, users and memberships with closed versions, a million events with
 * envelopes shaped like the real ones, findings, an outbox row per event, and each team's on-call
 * schedule as the last policy poll recorded it.
 */
import type { TeamSchedule } from '../roster/policy-types.js';
import type { Store } from '../store/db.js';
import { recordOncallReads } from '../store/oncall-reads.js';

export interface UiHistorySpec {
  users: number;
  teams: number;
  events: number;
  /** The history ends here and reaches back one year. */
  endMs: number;
}

export interface UiHistoryFacts {
  sampleUser: string;
  sampleTeam: string;
  firstIso: string;
  lastIso: string;
  runs: number;
}

const HOUR_MS = 3_600_000;
const YEAR_MS = 365 * 24 * HOUR_MS;

const username = (i: number) => `user${String(i).padStart(5, '0')}`;
const teamSlug = (i: number) => `team-${String(i).padStart(4, '0')}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** A deterministic pseudo-random sequence (the history is the same at every run). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function userJson(i: number, email = `${username(i)}@example.com`) {
  return {
    username: username(i),
    firstName: `First${i}`,
    lastName: `Last${i}`,
    displayName: null,
    email,
    createdAt: '2024-01-01T00:00:00Z',
    passwordLastUpdated: null,
    verified: true,
  };
}

export function writeUiHistory(store: Store, spec: UiHistorySpec): UiHistoryFacts {
  const db = store.sqlite;
  const random = seeded(42);
  const startMs = spec.endMs - YEAR_MS;
  const runCount = Math.floor(YEAR_MS / HOUR_MS);
  const memberships = spec.users * 2;
  db.transaction(() => {
    const insertRun = db.prepare(
      `INSERT INTO runs (id, kind, started_at, finished_at, status, strategy, requests, user_count, team_count,
         membership_count, change_count, policy_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const perRun = Math.ceil(spec.events / runCount);
    for (let r = 1; r <= runCount; r++) {
      const at = startMs + (r - 1) * HOUR_MS;
      const status = r === 1 ? 'baseline' : r % 500 === 0 ? 'failed' : 'ok';
      const users = Math.round(spec.users * (0.9 + (0.1 * r) / runCount));
      insertRun.run(
        r,
        'roster',
        iso(at),
        iso(at + 30_000),
        status,
        'team',
        spec.teams + 2,
        users,
        spec.teams,
        memberships,
        perRun,
        null,
      );
    }
    // Daily policy runs after the roster runs' ids.
    for (let d = 0; d < 365; d++) {
      const at = startMs + d * 24 * HOUR_MS + 1_800_000;
      insertRun.run(
        runCount + 1 + d,
        'policy',
        iso(at),
        iso(at + 60_000),
        'ok',
        null,
        spec.teams + 1,
        null,
        null,
        null,
        3,
        spec.teams,
      );
    }

    const insertTeam = db.prepare(
      'INSERT INTO teams (slug, name, valid_from, from_run_id) VALUES (?, ?, ?, 1)',
    );
    for (let t = 0; t < spec.teams; t++) insertTeam.run(teamSlug(t), `Team ${t}`, iso(startMs));

    const insertUser = db.prepare(
      `INSERT INTO users (username_key, username, first_name, last_name, display_name, email, created_at, verified,
         valid_from, valid_to, from_run_id, to_run_id) VALUES (?, ?, ?, ?, NULL, ?, '2024-01-01T00:00:00Z', 1, ?, ?, ?, ?)`,
    );
    const insertMembership = db.prepare(
      `INSERT INTO memberships (username_key, username, team_slug, valid_from, valid_to, from_run_id, to_run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let i = 0; i < spec.users; i++) {
      const name = username(i);
      // Every user has an older version closed by an email change somewhere in the year.
      const changeRun = 2 + Math.floor(random() * (runCount - 2));
      const changeAt = iso(startMs + (changeRun - 1) * HOUR_MS);
      insertUser.run(
        name,
        name,
        `First${i}`,
        `Last${i}`,
        `${name}@old.example.com`,
        iso(startMs),
        changeAt,
        1,
        changeRun,
      );
      insertUser.run(
        name,
        name,
        `First${i}`,
        `Last${i}`,
        `${name}@example.com`,
        changeAt,
        null,
        changeRun,
        null,
      );
      const a = i % spec.teams;
      const b = (i * 7 + 3) % spec.teams;
      insertMembership.run(name, name, teamSlug(a), iso(startMs), null, 1, null);
      insertMembership.run(name, name, teamSlug(b), changeAt, null, changeRun, null);
      // A membership that ended: history the roster-as-of page must reconstruct.
      insertMembership.run(name, name, teamSlug((b + 1) % spec.teams), iso(startMs), changeAt, 1, changeRun);
    }

    const insertEvent = db.prepare(
      'INSERT INTO events (sequence, id, run_id, type, subject, time, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (let s = 1; s <= spec.events; s++) {
      const runId = 1 + Math.floor(((s - 1) / spec.events) * runCount);
      const time = iso(startMs + (runId - 1) * HOUR_MS);
      const u = Math.floor(random() * spec.users);
      const t = Math.floor(random() * spec.teams);
      const pick = random();
      let type: string;
      let subject = username(u);
      let data: Record<string, unknown>;
      if (pick < 0.5) {
        type = pick < 0.25 ? 'victorops.membership.added' : 'victorops.membership.removed';
        data = { username: username(u), team: { slug: teamSlug(t), name: `Team ${t}` } };
      } else if (pick < 0.8) {
        type = 'victorops.user.changed';
        const before = userJson(u, `${username(u)}@old.example.com`);
        const after = userJson(u);
        data = {
          username: username(u),
          before,
          after,
          changes: [{ field: 'email', before: before.email, after: after.email }],
        };
      } else if (pick < 0.9) {
        type = pick < 0.85 ? 'victorops.user.added' : 'victorops.user.removed';
        data = pick < 0.85 ? { user: userJson(u) } : { user: userJson(u), policies: [] };
      } else if (pick < 0.91) {
        type = 'victorops.team.changed';
        subject = teamSlug(t);
        data = {
          slug: teamSlug(t),
          before: { slug: teamSlug(t), name: `Team ${t}` },
          after: { slug: teamSlug(t), name: `Team ${t}` },
          changes: [{ field: 'name', before: `Old ${t}`, after: `Team ${t}` }],
        };
      } else if (pick < 0.95) {
        type = 'rosterwatch.coverage.dangling_reference';
        data = {
          kind: 'dangling_reference',
          key: `k${s}`,
          policy: { slug: `pol-${t}`, name: `Policy ${t}` },
          team: { slug: teamSlug(t), name: `Team ${t}` },
          step: 1,
          username: username(u),
          removedAt: time,
          state: 'open',
          message: `Policy ${t} step 1 still pages ${username(u)}`,
        };
      } else {
        type = 'victorops.policy.changed';
        subject = `pol-${t}`;
        data = {
          slug: `pol-${t}`,
          changes: [{ field: 'steps', before: `1: ${username(u)}`, after: '1: @rota' }],
        };
      }
      const id = `00000000-0000-4000-8000-${String(s).padStart(12, '0')}`;
      const envelope = JSON.stringify({
        specversion: '1.0',
        id,
        source: 'urn:roster-watch:victorops:bench',
        type,
        subject,
        time,
        datacontenttype: 'application/json',
        runid: runId,
        sequence: String(s).padStart(16, '0'),
        data,
      });
      insertEvent.run(s, id, runId, type, subject, time, envelope);
    }

    db.prepare("INSERT INTO destinations (name, kind) VALUES ('hooks', 'webhook'), ('slack', 'slack')").run();
    const insertDelivery = db.prepare(
      `INSERT INTO deliveries (destination, kind, event_sequence, status, attempts, next_attempt_at_ms, created_at, delivered_at, last_status_code, last_error)
       VALUES ('hooks', 'event', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let s = 1; s <= spec.events; s++) {
      const at = startMs + Math.floor(((s - 1) / spec.events) * YEAR_MS);
      const dead = s % 5_000 === 0;
      insertDelivery.run(
        s,
        dead ? 'dead' : 'delivered',
        dead ? 10 : 1,
        at,
        iso(at),
        dead ? null : iso(at + 200),
        dead ? 500 : 200,
        dead ? 'HTTP 500 from the receiver' : null,
      );
    }

    const insertFinding = db.prepare(
      `INSERT INTO findings (key, kind, data, first_seen, resolved_at, first_run_id, last_run_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let f = 0; f < 2_000; f++) {
      const kind = f % 3 === 0 ? 'team_without_policy' : 'dangling_reference';
      const t = f % spec.teams;
      const data = {
        kind,
        key: `${kind}:${f}`,
        team: { slug: teamSlug(t), name: `Team ${t}` },
        username: username(f),
        policy: { slug: `pol-${t}`, name: `Policy ${t}` },
        step: 1,
        removedAt: null,
      };
      const open = f >= 1_800;
      insertFinding.run(
        `${kind}:${f}`,
        kind,
        JSON.stringify(data),
        iso(startMs + f * HOUR_MS),
        open ? null : iso(startMs + (f + 5) * HOUR_MS),
        runCount + 1,
        runCount + 1,
      );
    }

    // Identity findings (the HR file's leavers and unmatched accounts), read by the same pages.
    const insertIdentityFinding = db.prepare(
      `INSERT INTO identity_findings (key, kind, username_key, data, first_seen, resolved_at, first_run_id, last_run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let f = 0; f < 1_000; f++) {
      const kind = f % 2 === 0 ? 'identity.inactive' : 'identity.unmatched';
      const t = f % spec.teams;
      const name = username(f * 7);
      const exposure = {
        teams: [{ slug: teamSlug(t), name: `Team ${t}` }],
        policies: [
          {
            slug: `pol-${t}`,
            name: `Policy ${t}`,
            team: { slug: teamSlug(t), name: `Team ${t}` },
            steps: [1],
            viaRotation: false,
          },
        ],
        shifts: [],
        shiftCount: 0,
      };
      const data =
        kind === 'identity.inactive'
          ? {
              kind,
              key: `${kind}:${name}`,
              username: name,
              email: `${name}@example.com`,
              matchedBy: 'email',
              identities: [
                {
                  source: 'file',
                  id: `E-${f}`,
                  email: `${name}@example.com`,
                  displayName: null,
                  status: 'terminated',
                  statusChangedAt: null,
                },
              ],
              exposure,
            }
          : {
              kind,
              key: `${kind}:${name}`,
              username: name,
              email: `${name}@example.com`,
              sources: ['file'],
              exposure,
            };
      const open = f >= 400;
      insertIdentityFinding.run(
        `${kind}:${name}`,
        kind,
        name,
        JSON.stringify(data),
        iso(startMs + f * HOUR_MS + 1_000),
        open ? null : iso(startMs + (f + 5) * HOUR_MS),
        runCount + 1,
        runCount + 1,
      );
    }

    const insertPolicy = db.prepare(
      `INSERT INTO policies (slug, name, team_slug, steps, valid_from, from_run_id) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const insertSchedule = db.prepare(
      'INSERT INTO team_schedules (team_slug, team_name, shifts, fetched_at, run_id) VALUES (?, ?, ?, ?, ?)',
    );
    const schedules: TeamSchedule[] = [];
    for (let t = 0; t < spec.teams; t++) {
      const steps = [
        {
          index: 1,
          timeout: 5,
          entries: [
            { kind: 'user', username: username(t) },
            { kind: 'rotation', rotationSlug: `rot-${t}`, rotationLabel: `Rota ${t}` },
          ],
        },
      ];
      insertPolicy.run(
        `pol-${t}`,
        `Policy ${t}`,
        teamSlug(t),
        JSON.stringify(steps),
        iso(startMs),
        runCount + 1,
      );
      const shifts = Array.from({ length: 4 }, (_, k) => ({
        policySlug: `pol-${t}`,
        policyName: `Policy ${t}`,
        rotationName: `Rota ${t}`,
        shiftName: 'Week',
        username: username((t + k * spec.teams) % spec.users),
        start: iso(spec.endMs + k * 7 * 24 * HOUR_MS),
        end: iso(spec.endMs + (k + 1) * 7 * 24 * HOUR_MS),
      }));
      insertSchedule.run(teamSlug(t), `Team ${t}`, JSON.stringify(shifts), iso(spec.endMs), runCount + 365);
      schedules.push({ team: { slug: teamSlug(t), name: `Team ${t}` }, shifts, fetchedAt: iso(spec.endMs) });
    }
    // The on-call page reads what the last policy poll recorded, through the poll's own recorder.
    recordOncallReads(store, runCount + 365, iso(spec.endMs), schedules);
  })();
  return {
    sampleUser: username(1234),
    sampleTeam: teamSlug(17),
    firstIso: iso(startMs),
    lastIso: iso(spec.endMs),
    runs: runCount + 365,
  };
}

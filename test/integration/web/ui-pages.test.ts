import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/db.js';
import type { UiServer } from '../../../src/web/serve.js';
import {
  HOSTILE,
  HOSTILE_USERNAME,
  recordUiHistory,
  TIMES,
  TIMES_IDENTITY,
} from '../../helpers/ui-history.js';
import { startTestUi } from '../../helpers/ui-server.js';

let dir: string;
let store: Store;
let server: UiServer;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-ui-'));
  const path = join(dir, 'history.db');
  recordUiHistory(path).close();
  store = openStore(path, { readonly: true });
  server = await startTestUi(store, {
    now: () => new Date('2026-03-04T12:00:00.000Z'),
    timeZone: 'Europe/Paris',
    exemptions: [{ pattern: 'bo*', reason: 'break-glass account, owned by SRE' }],
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Bidi controls and control characters other than tab, CR and LF, as code points. */
function misleadingCharacters(body: string): number[] {
  return [...body]
    .map((c) => c.codePointAt(0) as number)
    .filter(
      (c) =>
        (c < 0x20 && c !== 9 && c !== 10 && c !== 13) ||
        (c >= 0x202a && c <= 0x202e) ||
        (c >= 0x2066 && c <= 0x2069),
    );
}

/** An event row's type cell (the filter's options name every type too). */
const typeCell = (type: string) => `<span class="mono"><bdi>${type}</bdi></span>`;

const PAGES = [
  '/ui',
  '/ui/timeline',
  '/ui/timeline?type=victorops.membership.*',
  '/ui/timeline/query?type=victorops.user.*&user=bob',
  `/ui/users/${encodeURIComponent('alice')}`,
  `/ui/users/${encodeURIComponent(HOSTILE_USERNAME)}`,
  '/ui/users/bob',
  '/ui/teams/payments',
  '/ui/teams/evil',
  `/ui/roster?at=${TIMES.two}`,
  '/ui/findings',
  '/ui/runs',
  '/ui/runs/2',
  '/ui/events/1',
  '/ui/deliveries',
  '/ui/search?q=lidd',
  '/ui/policies',
  '/ui/policies/pol-payments',
  '/ui/reachability',
  `/ui/search?q=${encodeURIComponent('<script>')}`,
];

describe('web view pages', () => {
  it.each(PAGES)('%s answers 200 with a strict CSP, nosniff and no script', async (path) => {
    const page = await get(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.body).not.toMatch(/<script/i);
    expect(page.body).not.toMatch(/<img/i);
    expect(page.body).not.toMatch(/<[a-z][^>]*\son\w+=/i);
    // Bidi overrides and terminal escapes are shown as markers, never passed through.
    expect(misleadingCharacters(page.body)).toEqual([]);
  });

  it('shows hostile names escaped and their control characters as visible markers', async () => {
    const page = await get(`/ui/users/${encodeURIComponent(HOSTILE_USERNAME)}`);
    expect(page.body).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');
    expect(page.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).toContain('gnp[U+202E]exe.doc');
    expect(page.body).toContain('[U+001B][31mred[U+001B][0m[U+0007]');
    const team = await get('/ui/teams/evil');
    expect(team.body).toContain('Evil gnp[U+202E]exe.doc &lt;script&gt;');
    void HOSTILE;
  });

  it('a team page shows a step paging the next person of a rotation as "(next)", as the events do', async () => {
    const page = await get('/ui/teams/payments');
    expect(page.body).toContain('3: Payments rota (next)');
  });

  it('the roster as of a past moment lists who was there and the diff to now', async () => {
    const page = await get(`/ui/roster?at=${encodeURIComponent('2026-03-02T12:00')}`);
    expect(page.body).toContain('Roster as of Mon 2 Mar 12:00 (Europe/Paris)');
    expect(page.body).toContain('/ui/users/bob');
    expect(page.body).toContain('user removed');
    const before = await get(`/ui/roster?at=${TIMES.one}`);
    expect(before.body).toContain('3 then, 3 now');
    expect(before.body).toContain('user added');
  });

  it('the as-of picker is in UI_TIMEZONE: a picked wall-clock time is read there, and shown back there', async () => {
    // Run two was recorded at 09:00 UTC, 10:00 in Paris. 09:30 picked in Paris is 08:30 UTC: before
    // it, so the roster is still run one's (as at TIMES.one); read as UTC it would be after it.
    const picked = await get('/ui/roster?at=2026-03-02T09:30');
    const runOne = await get(`/ui/roster?at=${TIMES.one}`);
    const users = (body: string) => {
      const section = body.slice(body.indexOf('id="t-users"'), body.indexOf('id="t-teams"'));
      return section.slice(section.indexOf('<tbody>'), section.indexOf('</tbody>'));
    };
    expect(users(picked.body)).toBe(users(runOne.body));
    expect(picked.body).toContain('name="at" value="2026-03-02T09:30:00"');
    expect(picked.body).toContain('As of (Europe/Paris)');
    // An instant with its zone (every link the view writes) is that instant, shown in Paris time.
    const exact = await get(`/ui/roster?at=${encodeURIComponent('2026-03-02T09:30:00Z')}`);
    expect(exact.body).toContain('Roster as of Mon 2 Mar 10:30 (Europe/Paris)');
    expect(exact.body).toContain('name="at" value="2026-03-02T10:30:00"');
    expect(users(exact.body)).not.toBe(users(picked.body));
  });

  it('the overview counts per day of UI_TIMEZONE, and links each day to its own 24 hours', async () => {
    const page = await get('/ui');
    // Runs at 09:00 UTC are 10:00 in Paris: still the same dates; each day links to Paris midnights.
    expect(page.body).toContain('Changes per day (last 30 days, Europe/Paris)');
    expect(page.body).toContain(
      `href="/ui/timeline?since=${encodeURIComponent('2026-03-01T23:00:00.000Z')}&amp;until=${encodeURIComponent('2026-03-02T23:00:00.000Z')}"`,
    );
  });

  it('the timeline filters by user and by team, and pages with a keyset cursor', async () => {
    const bob = await get('/ui/timeline?user=BOB');
    expect(bob.body).toContain(typeCell('victorops.user.removed'));
    expect(bob.body).not.toContain(typeCell('victorops.user.added'));
    const team = await get('/ui/timeline?team=payments&type=victorops.membership.*');
    expect(team.body).toContain(typeCell('victorops.membership.added'));
    expect(team.body).not.toContain(typeCell('victorops.user.changed'));
    const all = await get('/ui/timeline');
    const sequences = [...all.body.matchAll(/href="\/ui\/events\/(\d+)"/g)].map((m) => Number(m[1]));
    const max = Math.max(...sequences);
    const older = await get(`/ui/timeline?before=${max}`);
    expect(older.body).not.toContain(`href="/ui/events/${max}"`);
    expect(older.body).toContain(`href="/ui/events/${max - 1}"`);
  });

  it('the timeline query page quotes values for the shell and for SQL', async () => {
    const page = await get(
      `/ui/timeline/query?user=${encodeURIComponent("o'hara; rm -rf /")}&type=victorops.user.*`,
    );
    expect(page.body).toContain(
      'roster-watch history --type &#39;victorops.user.*&#39; --user &#39;o&#39;\\&#39;&#39;hara; rm -rf /&#39; --json',
    );
    expect(page.body).toContain('subject = &#39;o&#39;&#39;hara; rm -rf /&#39; COLLATE NOCASE');
  });

  it('findings of a kind this build does not know are shown from the stored row', async () => {
    const page = await get('/ui/findings');
    expect(page.body).toContain('nobody_on_call');
    expect(page.body).toContain('Nobody is on call for Operations');
    expect(page.body).toContain('dangling_reference');
  });

  it('identity findings appear with every other kind: findings page, overview, user and team pages', async () => {
    const findings = await get('/ui/findings');
    expect(findings.body).toContain('identity.inactive');
    expect(findings.body).toContain('carol left (HR file: terminated');
    expect(findings.body).toContain('dangling_reference');
    const kind = await get('/ui/findings?kind=identity.inactive');
    expect(kind.body).toContain('#i1');
    expect(kind.body).not.toContain('dangling_reference:');
    expect((await get('/ui')).body).toContain('href="/ui/findings?kind=identity.inactive"');
    expect((await get('/ui/users/carol')).body).toContain('carol left (HR file');
    expect((await get('/ui/teams/ops')).body).toContain('carol left (HR file');
    expect((await get('/ui/users/alice')).body).not.toContain('carol left');
  });

  it('a user page says when an identity exemption applies, with its reason and pattern (issue 26 item 8)', async () => {
    expect((await get('/ui/users/bob')).body).toContain(
      'exempt: break-glass account, owned by SRE (pattern bo*); not checked against the identity sources',
    );
    expect((await get('/ui/users/alice')).body).not.toContain('exempt:');
  });

  it('findings page through a keyset cursor across both families, and a bad cursor is a 400', async () => {
    const all = await get('/ui/findings?state=all');
    const rows = [...all.body.matchAll(/<bdi>(#i?\d+)<\/bdi>/g)].map((m) => m[1]);
    expect(rows).toEqual(['#i1', '#2', '#1']);
    const next = await get(
      `/ui/findings?state=all&before=${encodeURIComponent(`${TIMES_IDENTITY}~identity~1`)}`,
    );
    expect([...next.body.matchAll(/<bdi>(#i?\d+)<\/bdi>/g)].map((m) => m[1])).toEqual(['#2', '#1']);
    const bad = await get('/ui/findings?before=12');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('before must be a findings cursor');
  });

  it('names teams, policies and people by name, with the slug or username beside it', async () => {
    const timeline = await get('/ui/timeline?type=victorops.membership.*');
    expect(timeline.body).toContain('team Payments');
    expect(timeline.body).not.toContain('team Payments (payments)');
    const policyEvent = await get('/ui/timeline?type=victorops.policy.added');
    expect(policyEvent.body).toContain(
      '<a href="/ui/policies/pol-payments" title="policy slug: pol-payments"><bdi>Payments primary &lt;script&gt;',
    );
    const team = await get('/ui/teams/ops');
    expect(team.body).toContain(
      '<a href="/ui/users/alice"><bdi>Alice Liddell</bdi></a> <small class="muted"><bdi>alice</bdi></small>',
    );
    const user = await get('/ui/users/alice');
    expect(user.body).toContain(
      '<a href="/ui/teams/payments" title="team slug: payments"><bdi>Payments</bdi></a>',
    );
    const roster = await get(`/ui/roster?at=${TIMES.one}`);
    expect(roster.body).toMatch(
      /joined team<\/bdi><\/td><td>.*<\/td><td><a href="\/ui\/teams\/payments" title="team slug: payments"><bdi>Payments</,
    );
  });

  it('a team filter takes the team name as well as its slug', async () => {
    const bySlug = await get('/ui/timeline?team=payments&type=victorops.membership.*');
    const byName = await get('/ui/timeline?team=PAYMENTS&type=victorops.membership.*');
    const rows = (body: string) => [...body.matchAll(/href="\/ui\/events\/(\d+)"/g)].map((m) => m[1]);
    expect(rows(bySlug.body).length).toBeGreaterThan(0);
    const named = await get(
      `/ui/timeline?team=${encodeURIComponent('Payments')}&type=victorops.membership.*`,
    );
    expect(rows(named.body)).toEqual(rows(bySlug.body));
    // A slug is matched exactly first; an upper-cased slug is nobody's slug but the name matches.
    expect(rows(byName.body)).toEqual(rows(bySlug.body));
  });

  it('shows times in UI_TIMEZONE with the UTC instant in <time datetime>, and names the zone', async () => {
    const run = await get('/ui/runs/2');
    expect(run.body).toContain(
      '<time datetime="2026-03-02T09:00:00.000Z" title="2026-03-02T09:00:00.000Z (UTC)">Mon 2 Mar 10:00</time>',
    );
    expect(run.body).toContain('Times in Europe/Paris');
    const csv = await get('/ui/runs.csv?table=runs');
    expect(csv.body).toContain('2026-03-02T09:00:00.000Z');
  });

  it('search finds a user by part of the last name and links to their page; the header has the box', async () => {
    const page = await get('/ui/search?q=LIDD');
    expect(page.body).toContain('<a href="/ui/users/alice"><bdi>Alice Liddell</bdi></a>');
    expect(page.body).toContain('<input type="search" name="q" value="LIDD"');
    const hostile = await get(`/ui/search?q=${encodeURIComponent('"><script>')}`);
    expect(hostile.body).toContain('value="&quot;&gt;&lt;script&gt;"');
    expect((await get('/ui/runs')).body).toContain('action="/ui/search"');
  });

  it('a policy page lists its steps, who they page now and next, routing keys, findings and history', async () => {
    const page = await get('/ui/policies/pol-payments');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>Payments primary &lt;script&gt;');
    const steps = page.body.slice(page.body.indexOf('id="t-steps"'), page.body.indexOf('Routing keys'));
    expect(steps).toContain('<a href="/ui/users/bob"><bdi>Bob Builder</bdi></a>');
    expect(steps).toContain('rotation Primary');
    expect(steps).toContain('after 5 min');
    // Alice's recorded shift starts in 2099: nobody is on call in the rotation now, she is next.
    expect(steps).toContain('nobody in the recorded schedule');
    expect(steps).toMatch(/Alice Liddell<\/bdi><\/a> <small class="muted"><bdi>from Thu 1 Jan 2099 01:00/);
    expect(page.body).toContain('Routing keys have not been read yet');
    expect(page.body).toContain('still pages bob');
    expect(page.body).toContain('id="t-versions"');
    expect((await get('/ui/policies')).body).toContain('href="/ui/policies/pol-payments"');
    expect((await get('/ui/policies/nope')).status).toBe(404);
  });

  it('every table downloads as CSV, with formulas defused', async () => {
    const runs = await get('/ui/runs.csv?table=runs');
    expect(runs.status).toBe(200);
    expect(runs.headers.get('content-type')).toContain('text/csv');
    expect(runs.body.split('\r\n')[0]).toContain('Run,Kind,Started');
    const overview = await get('/ui/overview.csv?table=last-runs');
    expect(overview.body).toContain('roster');
    const user = await get(`/ui/users/${encodeURIComponent(HOSTILE_USERNAME)}.csv?table=versions`);
    expect(user.status).toBe(200);
    expect(user.body).toContain('<script>');
    expect(misleadingCharacters(user.body)).toEqual([]);
    const html = await get('/ui/runs');
    expect(html.body).toContain('href="/ui/runs.csv?table=runs"');
  });

  it('answers 404 for unknown pages and entities and 400 for a bad instant, as pages', async () => {
    expect((await get('/ui/nope')).status).toBe(404);
    expect((await get('/ui/users/nobody-at-all')).status).toBe(404);
    const bad = await get('/ui/roster?at=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('at must be an ISO-8601 date-time');
    // Issue 20: an impossible date is refused, not rolled over to 2 March.
    for (const at of ['2026-02-30', '2026-02-30T12:00:00Z', '2026-04-31T00:00']) {
      const impossible = await get(`/ui/roster?at=${at}`);
      expect([at, impossible.status]).toEqual([at, 400]);
    }
  });

  it('answers 400 naming the problem for a bad roster diff cursor', async () => {
    const cases: [string, string][] = [
      ['diff=nope', 'diff must be one of user-added, user-removed'],
      ['diff_after=bob', 'diff_after and diff_team need diff'],
      ['diff=user-added&diff_team=ops', 'diff_team continues a membership change only'],
      ['diff=membership-added&diff_after=bob', 'needs both diff_after (username) and diff_team'],
    ];
    for (const [query, message] of cases) {
      const bad = await get(`/ui/roster?at=${TIMES.two}&${query}`);
      expect([query, bad.status]).toEqual([query, 400]);
      expect(bad.body).toContain(message);
    }
    const good = await get(`/ui/roster?at=${TIMES.one}&diff=membership-added&diff_after=bob&diff_team=ops`);
    expect(good.status).toBe(200);
  });

  it('is read-only: anything but GET and HEAD is refused', async () => {
    const res = await fetch(`${base}/ui/runs`, { method: 'POST' });
    expect(res.status).toBe(405);
  });
});

describe('names that look like paths', () => {
  it('a username ending in .csv links to its page, and that page has its own CSV', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'rw-ui-dots-'));
    try {
      const writer = recordUiHistory(join(dir2, 'h.db'));
      const { recordRosterRun, rosterThree } = await import('../../helpers/ui-history.js');
      const { aRoster, aTeam, aUser } = await import('../../helpers/builders.js');
      const three = rosterThree();
      const four = aRoster({
        users: [...three.users, aUser('jane.csv')],
        teams: three.teams.map((t) => aTeam(t.slug, t.name)),
        memberships: [
          ...three.memberships.map((m) => [m.username, m.teamSlug] as [string, string]),
          ['jane.csv', 'ops'],
        ],
      });
      recordRosterRun(writer, three, four, '2026-03-05T09:00:00.000Z', 'ok');
      writer.close();
      const ro = openStore(join(dir2, 'h.db'), { readonly: true });
      const srv = await startTestUi(ro, {});
      try {
        const team = await (await fetch(`${srv.url}/teams/ops`)).text();
        expect(team).toContain('href="/ui/users/jane%2Ecsv"');
        const page = await fetch(`${srv.url}/users/jane%2Ecsv`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toContain('text/html');
        const csv = await fetch(`${srv.url}/users/jane%2Ecsv.csv?table=versions`);
        expect(csv.headers.get('content-type')).toContain('text/csv');
        expect(await csv.text()).toContain('jane.csv@example.com');
      } finally {
        await srv.close();
        ro.close();
      }
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

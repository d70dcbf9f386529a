/**
 * Identity reconciliation through the built CLI with the file source, against the simulator: a
 * leaver reported once with their exposure and resolved when deleted, an unmatched account, an
 * exempted one, an outage and a truncated export that produce `source_failing` and nothing else.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimUser } from '../../src/simulator/org.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { runCli } from '../helpers/cli.js';
import { identityCli, pagedUser, startFileIdentityOrg } from '../helpers/identity-e2e.js';

let sim: Simulator;
let env: Record<string, string>;
let file: string;

beforeEach(async () => {
  ({ sim, env, file } = await startFileIdentityOrg(21));
});
afterEach(async () => {
  await sim.close();
});

const { cli, events: identityEvents, open: openFindings } = identityCli(() => env);

const csvLine = (u: SimUser, status: string, changed = '') =>
  [u.email, `"${u.firstName} ${u.lastName}"`, status, changed].join(',');

function writePeople(
  users: readonly SimUser[],
  statusOf: (u: SimUser) => [string, string?] = () => ['Active'],
) {
  const lines = ['email,name,status,status_changed_at', ...users.map((u) => csvLine(u, ...statusOf(u)))];
  writeFileSync(file, `${lines.join('\n')}\n`);
}

describe('identity reconciliation from a file', () => {
  it('reports a leaver once with exposure, an unmatched account, not an exempted one; resolves the leaver when deleted', async () => {
    await cli(['poll']);
    await cli(['policy-poll']);
    const leaver = pagedUser(sim);
    const others = sim.org.listUsers().filter((u) => u.username !== leaver.username);
    const unmatched = others[0]!;
    const exempt = others[1]!;
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000 - 3_600_000).toISOString();
    writePeople(
      sim.org.listUsers().filter((u) => u !== unmatched && u !== exempt),
      (u) => (u.username === leaver.username ? ['Terminated', threeDaysAgo] : ['active']),
    );
    const extra = { IDENTITY_EXEMPT: `${exempt.username}=break-glass admin account` };

    const sync = await cli(['identity-sync'], extra);
    expect(sync.stdout).toMatch(/run \d+ \(identity\): ok: 2 findings opened/);
    const open = await openFindings();
    expect(open.map((f) => [f.kind, f.username]).sort()).toEqual(
      [
        ['identity.inactive', leaver.username],
        ['identity.unmatched', unmatched.username],
      ].sort(),
    );
    const inactive = open.find((f) => f.kind === 'identity.inactive')!;
    expect(inactive.message).toContain(
      `${leaver.username} left (HR file: Terminated 3 days ago) but is still paged by`,
    );
    expect(inactive.message).toContain(leaver.policyName);
    expect(inactive.finding.exposure?.policies.map((p) => p.slug)).toContain(leaver.policySlug);

    const opened = await identityEvents();
    expect(
      opened
        .map((e) => [e.type, (e.data as { state: string }).state, (e.data as { username: string }).username])
        .sort(),
    ).toEqual(
      [
        ['rosterwatch.identity.inactive', 'open', leaver.username],
        ['rosterwatch.identity.unmatched', 'open', unmatched.username],
      ].sort(),
    );

    // offboard-check shows what the identity source said next to the VictorOps references.
    const check = await runCli(['offboard-check', leaver.username, '--json'], { ...env, ...extra });
    expect(check.code, check.stderr).toBe(3);
    expect(JSON.parse(check.stdout).identity).toMatchObject({
      status: 'findings',
      findings: [{ kind: 'identity.inactive' }],
    });
    const text = await runCli(['offboard-check', unmatched.username], { ...env, ...extra });
    expect(text.stdout).toMatch(/identity \(1 open finding\):\n {2}- identity\.unmatched: /);

    // Reported once: the next sync sees the same findings and says nothing new.
    await cli(['identity-sync'], extra);
    expect(await identityEvents()).toHaveLength(2);

    sim.org.removeUser(leaver.username);
    await cli(['poll']);
    await cli(['identity-sync'], extra);
    const resolved = (await identityEvents()).slice(2);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({
      type: 'rosterwatch.identity.inactive',
      subject: leaver.username,
      data: { state: 'resolved', username: leaver.username },
    });
    expect((await openFindings()).map((f) => f.username)).toEqual([unmatched.username]);
  });

  it('an unreadable file produces source_failing and no other finding, and resolves when the file is back', async () => {
    await cli(['poll']);
    const fail = await cli(['identity-sync'], {}, 1);
    expect(fail.stderr).toMatch(/an identity source could not be read/);
    expect(fail.stdout).toMatch(/file: failed, 0 identities \(cannot read IDENTITY_FILE .*ENOENT\)/);
    const open = await openFindings();
    expect(open.map((f) => [f.kind, f.username])).toEqual([['identity.source_failing', null]]);

    writePeople(sim.org.listUsers());
    await cli(['identity-sync']);
    expect(await openFindings()).toEqual([]);
    const events = await identityEvents();
    expect(events.map((e) => [e.type, (e.data as { state: string }).state])).toEqual([
      ['rosterwatch.identity.source_failing', 'open'],
      ['rosterwatch.identity.source_failing', 'resolved'],
    ]);
  });

  it('a truncated export is held like a mass removal: source_failing only, until reads agree', async () => {
    await cli(['poll']);
    writePeople(sim.org.listUsers());
    await cli(['identity-sync']);
    writePeople(sim.org.listUsers().slice(0, 5));
    const held = await cli(['identity-sync'], { REMOVAL_GUARD_CONFIRMATIONS: '2' });
    expect(held.stdout).toMatch(/file: held, 5 identities/);
    expect((await openFindings()).map((f) => f.kind)).toEqual(['identity.source_failing']);
    // The second read of the same size confirms it: now the missing people are unmatched.
    await cli(['identity-sync'], { REMOVAL_GUARD_CONFIRMATIONS: '2' });
    const open = await openFindings();
    expect(open.filter((f) => f.kind === 'identity.unmatched')).toHaveLength(25);
    expect(open.some((f) => f.kind === 'identity.source_failing')).toBe(false);
  });

  it('reads JSON Lines with configured columns and statuses; a missing file after a good read keeps findings as they were', async () => {
    await cli(['poll']);
    const [first, ...rest] = sim.org.listUsers();
    const jsonl = join(dirname(file), 'people.jsonl');
    const lines = [
      JSON.stringify({ Mail: first!.email, State: 'ON-LEAVE', Aliases: [] }),
      ...rest.map((u) =>
        JSON.stringify({
          Mail: 'nobody@elsewhere.example',
          Aliases: [u.email],
          State: 'Employed',
          Name: `${u.firstName} ${u.lastName}`,
        }),
      ),
    ];
    writeFileSync(jsonl, `${lines.join('\n')}\n`);
    const extra = {
      IDENTITY_FILE: jsonl,
      IDENTITY_FILE_COLUMNS: 'email=Mail,emails=Aliases,status=State,name=Name',
      IDENTITY_FILE_STATUS_MAP: 'employed=active,on-leave=inactive',
    };
    await cli(['identity-sync'], extra);
    const open = await openFindings();
    expect(open.map((f) => [f.kind, f.username])).toEqual([['identity.inactive', first!.username]]);

    rmSync(jsonl);
    await cli(['identity-sync'], extra, 1);
    const during = await openFindings();
    expect(during.map((f) => f.kind).sort()).toEqual(['identity.inactive', 'identity.source_failing']);
    expect(
      (await identityEvents()).filter((e) => (e.data as { state: string }).state === 'resolved'),
    ).toEqual([]);
  });

  it('says what is missing: no source is exit 2, no roster is exit 1', async () => {
    const none = await cli(['identity-sync'], { IDENTITY_FILE: '' }, 2);
    expect(none.stderr).toMatch(/no identity source is configured/);
    writePeople(sim.org.listUsers());
    const noRoster = await cli(['identity-sync'], {}, 1);
    expect(noRoster.stderr).toMatch(/no VictorOps roster is recorded yet: run `roster-watch poll` first/);
    const bad = await cli(['identity-sync'], { IDENTITY_FILE_STATUS_MAP: 'gone=maybe' }, 2);
    expect(bad.stderr).toMatch(/IDENTITY_FILE_STATUS_MAP: "gone" must map to active or inactive/);
  });
});

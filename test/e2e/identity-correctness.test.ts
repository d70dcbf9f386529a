/**
 * Identity reconciliation that neither goes quiet nor cries wolf (issue 26 items 1–8, issue 20
 * items 5 and 14), through the built CLI against the simulator and files the tests write: a leaver
 * whose status can no longer be read stays a leaver, the guard needs agreeing reads, re-hires,
 * mappings, SMTP: prefixes, Windows-1252 and invitees are not false leavers, exemptions say why.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SimUser } from '../../src/simulator/org.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { runCli } from '../helpers/cli.js';
import { identityCli, startFileIdentityOrg, stateOf, usernameOf } from '../helpers/identity-e2e.js';

// Each test runs the CLI about ten times; on the loaded machine that outlasted the default 60 s.
vi.setConfig({ testTimeout: 180_000 });

let sim: Simulator;
let env: Record<string, string>;
let dir: string;
let file: string;

beforeEach(async () => {
  ({ sim, env, file } = await startFileIdentityOrg(26));
  dir = dirname(file);
});
afterEach(async () => {
  await sim.close();
});

const { cli, events: identityEvents, open: openFindings } = identityCli(() => env);

/** Real (not invited) users, so every test knows who it is talking about. */
const staff = () => sim.org.listUsers().filter((u) => !u.username.toLowerCase().startsWith('invited_'));

function writeCsv(header: string, rows: string[]) {
  writeFileSync(file, `${[header, ...rows].join('\n')}\n`);
}

const row = (u: SimUser, status: string) => `${u.email},"${u.firstName} ${u.lastName}",${status}`;
const resolvedEvents = async () => (await identityEvents()).filter((e) => stateOf(e) === 'resolved');

describe('a leaver whose status can no longer be read stays a leaver (26.1, 20.5, 20.14)', () => {
  it('an unmapped or emptied status keeps the finding and is counted; a renamed status column fails the source; JSON Lines keys in another case and a BOM are read', async () => {
    await cli(['poll']);
    const users = sim.org.listUsers();
    const leaver = staff()[0]!;
    const write = (leaverStatus: string, header = 'email,name,status') =>
      writeCsv(
        header,
        users.map((u) => row(u, u === leaver ? leaverStatus : 'Active')),
      );
    write('Terminated');
    await cli(['identity-sync']);
    expect((await openFindings()).map((f) => [f.kind, f.username])).toEqual([
      ['identity.inactive', leaver.username],
    ]);

    for (const status of ['Leaver', 'Terminated - Voluntary', '']) {
      write(status);
      const sync = await cli(['identity-sync']);
      const shown = status === '' ? '(empty)' : status;
      expect(sync.stdout).toContain(`1 identity has a status not recognised (${shown} ×1)`);
      const open = await openFindings();
      expect(open.map((f) => [f.kind, f.username])).toEqual([['identity.inactive', leaver.username]]);
      expect(open[0]!.message).toContain(`status now unknown: HR file '${shown}'`);
    }
    const listed = await cli(['identity']);
    expect(listed.stdout).toContain('HR file: 1 identity has a status not recognised ((empty) ×1)');

    write('Terminated', 'email,name,Employee State');
    const renamed = await cli(['identity-sync'], {}, 1);
    expect(renamed.stdout).toMatch(/file: failed, 0 identities \(the status column of earlier reads is gone/);
    expect((await openFindings()).map((f) => f.kind).sort()).toEqual([
      'identity.inactive',
      'identity.source_failing',
    ]);

    // JSON Lines: "Status" instead of "status", and a byte-order mark, as CSV headers are read.
    const jsonl = join(dir, 'people.jsonl');
    const lines = users.map((u) =>
      JSON.stringify({ Email: u.email, Status: u === leaver ? 'Terminated' : 'Active' }),
    );
    writeFileSync(jsonl, `\ufeff${lines.join('\n')}\n`);
    await cli(['identity-sync'], { IDENTITY_FILE: jsonl });
    expect((await openFindings()).map((f) => [f.kind, f.username])).toEqual([
      ['identity.inactive', leaver.username],
    ]);
    expect((await resolvedEvents()).map((e) => e.type)).toEqual(['rosterwatch.identity.source_failing']);
  });

  it('an export with everyone terminated is held like a mass removal, not 30 leavers (20.5)', async () => {
    await cli(['poll']);
    const users = sim.org.listUsers();
    writeCsv(
      'email,name,status',
      users.map((u) => row(u, 'Active')),
    );
    await cli(['identity-sync']);
    writeCsv(
      'email,name,status',
      users.map((u) => row(u, 'Terminated')),
    );
    const held = await cli(['identity-sync']);
    expect(held.stdout).toMatch(
      /file: held, \d+ identities \(0 active, \d+ fewer than the \d+ of the last accepted read/,
    );
    expect((await openFindings()).map((f) => f.kind)).toEqual(['identity.source_failing']);
  });
});

describe('the shrink guard accepts only agreeing reads (26.2)', () => {
  it('30 → 8, 12, 6 is never accepted; a failed read between agreeing reads starts the count again', async () => {
    await cli(['poll']);
    const users = sim.org.listUsers();
    const writeFirst = (n: number) =>
      writeCsv(
        'email,name,status',
        users.slice(0, n).map((u) => row(u, 'Active')),
      );
    writeFirst(users.length);
    await cli(['identity-sync']);
    for (const n of [8, 12, 6]) {
      writeFirst(n);
      const sync = await cli(['identity-sync']);
      expect(sync.stdout).toMatch(new RegExp(`file: held, ${n} identities .*\\(1 so far\\)`));
    }
    writeFirst(8);
    expect((await cli(['identity-sync'])).stdout).toMatch(/\(1 so far\)/);
    expect((await cli(['identity-sync'])).stdout).toMatch(/\(2 so far\)/);
    rmSync(file);
    await cli(['identity-sync'], {}, 1);
    writeFirst(8);
    expect((await cli(['identity-sync'])).stdout).toMatch(/\(1 so far\)/);
    expect((await openFindings()).map((f) => f.kind)).toEqual(['identity.source_failing']);
  });
});

describe('people who never left are not called leavers (26.3, 26.4, 26.5, 26.7)', () => {
  it('a re-hire, a mapping the rule would overrule, a guess with another name, SMTP: prefixes and an invitee', async () => {
    const invitee = sim.org.addUser({
      username: 'invited_q7x2',
      firstName: 'New',
      lastName: 'Starter',
      email: 'new.starter@example.com',
      verified: false,
    });
    const [rehired, legacy, guessed, smtp, ...rest] = staff();
    sim.org.updateUser(legacy!.username, { firstName: 'Platform', lastName: 'Team', email: null });
    sim.org.updateUser(guessed!.username, { firstName: 'Jane', lastName: 'Roe', email: null });
    await cli(['poll']);
    const mapping = join(dir, 'mapping.json');
    writeFileSync(mapping, JSON.stringify({ map: { [legacy!.username]: 'platform-team@corp.example' } }));
    writeCsv('email,name,status,emails,status_changed_at', [
      `${rehired!.email},"${rehired!.firstName} ${rehired!.lastName}",Terminated,,2020-01-01`,
      `${rehired!.email},"${rehired!.firstName} ${rehired!.lastName}",Active,,2026-11-01`,
      // The guess the local-part rule would make for the mapped account: someone else, who left.
      `${legacy!.username.toLowerCase()}@corp.example,Someone Else,Terminated,,`,
      'platform-team@corp.example,Platform Team,Active,,',
      `${guessed!.username.toLowerCase()}@corp.example,John Doe,Terminated,,`,
      `SMTP:${smtp!.email},"${smtp!.firstName} ${smtp!.lastName}",Terminated,"smtp:old-${smtp!.email}",`,
      ...rest.map((u) => `${row(u, 'Active')},,`),
    ]);
    await cli(['identity-sync'], { IDENTITY_MATCH_RULE: 'local-part', IDENTITY_MAPPING_FILE: mapping });
    const open = await openFindings();
    const kinds = Object.fromEntries(open.map((f) => [f.username, f.kind]));
    expect(kinds[rehired!.username]).toBeUndefined();
    expect(kinds[legacy!.username]).not.toBe('identity.inactive');
    expect(kinds[guessed!.username]).toBe('identity.mismatch');
    expect(kinds[smtp!.username]).toBe('identity.inactive');
    const pending = open.find((f) => f.username === invitee.username)!;
    expect(pending.kind).toBe('identity.unmatched');
    expect(pending.message).toMatch(/^invited_q7x2 \(new\.starter@example\.com\) is a pending invitation/);
    expect(pending.message).not.toMatch(/offboard it|delete the VictorOps user/);
    expect(open.filter((f) => f.kind === 'identity.inactive').map((f) => f.username)).toEqual([
      smtp!.username,
    ]);
  });
});

describe('what the admin sees (26.6, 26.8)', () => {
  it("reads Excel's Windows-1252 CSV without false name mismatches; UTF-16 and semicolons are named; exemptions show their reason", async () => {
    // Excel's plain CSV cannot hold every script the simulator names people in: keep to its characters.
    const fits = (t: string) => iconv.decode(iconv.encode(t, 'windows-1252'), 'windows-1252') === t;
    for (const u of sim.org.listUsers())
      if (!fits(`${u.firstName} ${u.lastName}`))
        sim.org.updateUser(u.username, { firstName: 'Ana', lastName: 'Lima', email: u.email });
    const [accented, exempt] = staff();
    sim.org.updateUser(accented!.username, {
      firstName: 'José',
      lastName: 'Müller-Ñúñez',
      email: accented!.email,
    });
    await cli(['poll']);
    const users = sim.org.listUsers().filter((u) => u.username !== exempt!.username);
    const text = `${['email,name,status', ...users.map((u) => row(sim.org.getUser(u.username)!, 'Active'))].join('\r\n')}\r\n`;
    writeFileSync(file, iconv.encode(text, 'windows-1252'));
    const extra = { IDENTITY_EXEMPT: `${exempt!.username}=break-glass admin, vaulted` };
    await cli(['identity-sync'], extra);
    expect(await openFindings(extra)).toEqual([]);

    const listed = await cli(['identity'], extra);
    expect(listed.stdout).toContain(
      `${exempt!.username}: exempt: break-glass admin, vaulted (pattern ${exempt!.username}); not checked against the identity sources`,
    );
    const check = await runCli(['offboard-check', exempt!.username], { ...env, ...extra });
    expect(check.stdout).toContain(
      `identity: exempt: break-glass admin, vaulted (pattern ${exempt!.username})`,
    );
    expect(check.stdout).not.toContain('no open identity findings');

    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const utf16 = await cli(['identity-sync'], extra, 1);
    expect(utf16.stdout).toMatch(
      /the file is UTF-16LE text \(Excel's "Unicode Text"\); export it as "CSV UTF-8"/,
    );
    writeFileSync(file, text.replaceAll(',', ';'));
    const semicolons = await cli(['identity-sync'], extra, 1);
    expect(semicolons.stdout).toMatch(/the columns are separated by semicolons, not commas/);
    expect(semicolons.stdout).not.toMatch(/no "email" column/);
    expect((await identityEvents()).map((e) => [e.type, stateOf(e), usernameOf(e)])).toEqual([
      ['rosterwatch.identity.source_failing', 'open', null],
    ]);
  });
});

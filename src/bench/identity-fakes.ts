/**
 * The paged identity sources of the identity benchmark (issue 21): the simulator's Okta and Entra
 * fakes serving the bench's 100,000 people (people.json, written by identity-setup.ts), in a
 * process of their own so the measured sync's peak RSS is not theirs. Prints the URLs as one JSON
 * line on stdout and serves until its standard input closes (run.ts holds it open while it measures).
 *
 *   BENCH_IDENTITY_DIR=… node dist/bench/run.js --child identity-fakes
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGraphFake } from '../simulator/identity/graph-fake.js';
import { startOktaFake } from '../simulator/identity/okta-fake.js';

/** One person of the bench's directory, as the export and the Okta and Entra fakes show them. */
export interface BenchPerson {
  id: string;
  email: string;
  /** The export's name column (empty for the VictorOps users: the file then compares no name). */
  name: string;
  /** The name the Okta and Entra fakes give: the VictorOps user's, so only the renamed differ. */
  fullName: string;
  status: 'active' | 'terminated' | 'suspended';
  aliases: string[];
  changed: string;
}

/** What the measured sync is configured with to read the fakes (not secrets: loopback fakes). */
export interface BenchFakes {
  oktaUrl: string;
  oktaToken: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityUrl: string;
  graphUrl: string;
}

const OKTA_STATUS = { active: 'ACTIVE', terminated: 'DEPROVISIONED', suspended: 'SUSPENDED' } as const;

export async function serveIdentityFakes(dir: string): Promise<void> {
  const people = JSON.parse(readFileSync(join(dir, 'people.json'), 'utf8')) as BenchPerson[];
  const credentials = { tenantId: 'bench-tenant', clientId: 'bench-client', clientSecret: 'bench-secret' };
  const okta = await startOktaFake({
    token: 'bench-okta-token',
    // Okta's real window (600 a minute) would make a 100,000-user read wait out windows: the
    // bench measures memory and CPU, not Okta's pacing.
    rateLimit: 1_000_000,
    // By position: the export's ids repeat where the other employees' numbering meets the
    // VictorOps users' (a user without an address leaves a gap), and Okta ids are unique.
    people: people.map((p, i) => ({
      id: `00u${String(i).padStart(17, '0')}`,
      status: OKTA_STATUS[p.status],
      email: p.email,
      secondEmail: p.aliases[0] ?? null,
      // Okta's name is the two joined; the findings compare names word by word.
      firstName: p.fullName.split(' ')[0] ?? '',
      lastName: p.fullName.split(' ').slice(1).join(' '),
      statusChanged: p.changed === '' ? null : `${p.changed}T00:00:00.000Z`,
    })),
  });
  const graph = await startGraphFake({
    ...credentials,
    users: people.map((p, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      displayName: p.fullName,
      mail: p.email,
      otherMails: p.aliases,
      userPrincipalName: `${p.id.toLowerCase()}@bench.onmicrosoft.com`,
      accountEnabled: p.status === 'active',
    })),
  });
  const fakes: BenchFakes = {
    oktaUrl: okta.url,
    oktaToken: 'bench-okta-token',
    ...credentials,
    authorityUrl: graph.authorityUrl,
    graphUrl: graph.graphUrl,
  };
  process.stdout.write(`${JSON.stringify(fakes)}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).resume();
  });
  await okta.close();
  await graph.close();
}

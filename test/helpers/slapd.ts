/**
 * A throwaway OpenLDAP server for the LDAP suites: Debian's real `slapd`, started by the test on
 * 127.0.0.1 with a generated slapd.conf (mdb backend, its own directory), seeded offline with
 * `slapadd` from an LDIF, listening on ldap:// (with StartTLS) and ldaps:// with a self-signed
 * certificate made by openssl. Never a mock.
 *
 * When slapd is not installed the suites say so loudly and skip; with REQUIRE_LDAP_TESTS=true (set
 * by .ci/run after installing it) a missing slapd is a failure instead.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SLAPD_CANDIDATES = ['/usr/sbin/slapd', '/usr/local/sbin/slapd', '/usr/local/libexec/slapd'];
const SCHEMA_DIR = '/etc/ldap/schema';
const AD_SCHEMA = resolve(import.meta.dirname, '..', 'fixtures', 'ldap', 'ad-attributes.schema');

export const LDAP_BASE_DN = 'dc=example,dc=com';
export const LDAP_ADMIN_DN = `cn=admin,${LDAP_BASE_DN}`;
export const LDAP_ADMIN_PASSWORD = 'admin-secret';
/** A non-root reader: the root DN bypasses size limits, and a real deployment binds as a reader. */
export const LDAP_READER_DN = `cn=reader,${LDAP_BASE_DN}`;
export const LDAP_READER_PASSWORD = 'reader-secret';

export function findSlapd(): string | null {
  return SLAPD_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** For `describe.skipIf`: true when the LDAP suites cannot run here (and that is allowed). */
export function skipLdapSuites(suite: string): boolean {
  if (findSlapd() !== null) return false;
  if (process.env.REQUIRE_LDAP_TESTS === 'true')
    throw new Error(
      `${suite}: REQUIRE_LDAP_TESTS=true but slapd is not installed (apt-get install slapd ldap-utils)`,
    );
  process.stderr.write(
    `\n!!! ${suite}: slapd is NOT installed, so the LDAP suite is SKIPPED. Install it with\n!!!   DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils\n\n`,
  );
  return true;
}

export interface Slapd {
  url: string;
  ldapsUrl: string;
  /** The self-signed certificate, to use as LDAP_CA_FILE. */
  caFile: string;
  /** Adds or changes entries as the admin (LDIF with changetype). */
  modify(ldif: string): void;
  /** Stops the server (an outage) but keeps its files, such as the CA file a client still names. */
  halt(): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((done) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`slapd did not listen on ${port} within 15 s:\n${log()}`);
}

export async function startSlapd(seedLdif: string, options: { sizeLimit?: number } = {}): Promise<Slapd> {
  const slapd = findSlapd();
  if (slapd === null) throw new Error('slapd is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'rw-slapd-'));
  mkdirSync(join(dir, 'data'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  // Small limits for everyone but the root DN, so only a paged search can read the whole tree.
  const limit = options.sizeLimit ?? 5;
  const conf = [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include ${SCHEMA_DIR}/${s}.schema`),
    `include ${AD_SCHEMA}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    `TLSCertificateFile ${cert}`,
    `TLSCertificateKeyFile ${key}`,
    'database mdb',
    'maxsize 10485760',
    `suffix "${LDAP_BASE_DN}"`,
    `rootdn "${LDAP_ADMIN_DN}"`,
    `rootpw ${LDAP_ADMIN_PASSWORD}`,
    `directory ${join(dir, 'data')}`,
    `limits dn.exact="${LDAP_READER_DN}" size.soft=${limit} size.hard=${limit} size.pr=${limit} size.prtotal=unlimited`,
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by * read',
  ].join('\n');
  const confPath = join(dir, 'slapd.conf');
  writeFileSync(confPath, `${conf}\n`);
  const seedPath = join(dir, 'seed.ldif');
  writeFileSync(seedPath, seedLdif);
  execFileSync('slapadd', ['-f', confPath, '-l', seedPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const [port, tlsPort] = [await freePort(), await freePort()];
  let log = '';
  const child = spawn(
    slapd,
    ['-f', confPath, '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-d', '0'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  try {
    await waitForPort(port, child, () => log);
    await waitForPort(tlsPort, child, () => log);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = `ldap://127.0.0.1:${port}`;
  const halt = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    url,
    ldapsUrl: `ldaps://127.0.0.1:${tlsPort}`,
    caFile: cert,
    modify(ldif) {
      execFileSync('ldapmodify', ['-x', '-H', url, '-D', LDAP_ADMIN_DN, '-w', LDAP_ADMIN_PASSWORD], {
        input: ldif,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    },
    halt,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LdapPerson {
  uid: string;
  mail: string;
  cn: string;
  otherMailbox?: string;
  proxyAddresses?: string[];
  userAccountControl?: number;
  employeeType?: string;
}

/** The base, an OU, the reader and one inetOrgPerson per person (AD attributes on the aux class). */
export function seedLdif(people: readonly LdapPerson[]): string {
  const entries = [
    `dn: ${LDAP_BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    `dn: ou=people,${LDAP_BASE_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ${LDAP_READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: ${LDAP_READER_PASSWORD}`,
    ...people.map((p) => personLdif(p)),
  ];
  return `${entries.join('\n\n')}\n`;
}

export function personDn(uid: string): string {
  return `uid=${uid},ou=people,${LDAP_BASE_DN}`;
}

function personLdif(p: LdapPerson): string {
  const lines = [
    `dn: ${personDn(p.uid)}`,
    'objectClass: inetOrgPerson',
    'objectClass: rosterWatchTestAdAccount',
    `uid: ${p.uid}`,
    `cn: ${p.cn}`,
    `sn: ${p.cn.split(' ').at(-1) ?? p.cn}`,
    `displayName: ${p.cn}`,
    `mail: ${p.mail}`,
  ];
  if (p.otherMailbox) lines.push(`otherMailbox: ${p.otherMailbox}`);
  for (const a of p.proxyAddresses ?? []) lines.push(`proxyAddresses: ${a}`);
  if (p.userAccountControl !== undefined) lines.push(`userAccountControl: ${p.userAccountControl}`);
  if (p.employeeType) lines.push(`employeeType: ${p.employeeType}`);
  return lines.join('\n');
}

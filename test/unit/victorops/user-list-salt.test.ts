/**
 * The user list's digest is salted with what the normaliser, the fingerprint and the key make of
 * a sample user: a change to any of them ends the store's trust in older digests with no version
 * bump. Each is altered here through its module, as a changed build would be.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const altered = vi.hoisted(() => ({ normalise: false, fingerprint: false, key: false }));

vi.mock('../../../src/roster/normalise.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/roster/normalise.js')>();
  return {
    ...original,
    normaliseUser: (raw: Parameters<typeof original.normaliseUser>[0]) => {
      const user = original.normaliseUser(raw);
      return altered.normalise ? { ...user, email: user.email?.toLowerCase() ?? null } : user;
    },
  };
});
vi.mock('../../../src/roster/fingerprint.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/roster/fingerprint.js')>();
  return {
    ...original,
    userFingerprintText: (u: Parameters<typeof original.userFingerprintText>[0]) =>
      altered.fingerprint ? JSON.stringify(u) : original.userFingerprintText(u),
  };
});
vi.mock('../../../src/roster/types.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/roster/types.js')>();
  return {
    ...original,
    usernameKey: (username: string) =>
      altered.key ? username.toUpperCase() : original.usernameKey(username),
  };
});

const { userListHasher, userListSalt, USER_LIST_READER_VERSION } = await import(
  '../../../src/victorops/user-list-reader.js'
);

const BYTES = Buffer.from('{"users":[[{"username":"ann"}]]}');
const digest = () => userListHasher().update(BYTES).digest('hex');

beforeEach(() => {
  altered.normalise = false;
  altered.fingerprint = false;
  altered.key = false;
});

describe('the user list digest’s salt', () => {
  it('holds the version and the recorded fields', () => {
    const salt = userListSalt();
    expect(salt).toContain(`reader ${USER_LIST_READER_VERSION}`);
    expect(salt).toContain('firstName,lastName,displayName,email,createdAt,passwordLastUpdated,verified');
    expect(userListSalt(USER_LIST_READER_VERSION + 1)).not.toBe(salt);
  });

  const parts = { normalise: 'the normaliser', fingerprint: 'the fingerprint', key: 'the key' } as const;
  for (const [part, name] of Object.entries(parts) as [keyof typeof parts, string][]) {
    it(`changes with what ${name} gives for the sample user`, () => {
      const before = digest();
      expect(digest()).toBe(before);
      altered[part] = true;
      expect(digest()).not.toBe(before);
    });
  }
});

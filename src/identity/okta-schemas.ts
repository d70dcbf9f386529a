/**
 * The parts of Okta's Users API that roster-watch reads, as zod schemas. Shapes from Okta's own
 * API spec and recorded SDK responses (test/fixtures/okta/README.md); unknown fields pass.
 */
import * as z from 'zod';

const nullableText = z.string().nullish();

export const oktaUserSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  statusChanged: nullableText,
  profile: z.looseObject({
    login: nullableText,
    email: nullableText,
    secondEmail: nullableText,
    firstName: nullableText,
    lastName: nullableText,
    displayName: nullableText,
  }),
});
export type OktaUser = z.infer<typeof oktaUserSchema>;

export const oktaUserListSchema = z.array(oktaUserSchema);

/** Okta's error body (`Error` in its spec), e.g. E0000047 for rate limits. */
export const oktaErrorSchema = z.looseObject({ errorCode: z.string(), errorSummary: z.string() });

/** SUSPENDED and DEPROVISIONED are the leavers; every other documented status still has a person. */
export const OKTA_STATUS_ACTIVE: Record<string, boolean> = {
  ACTIVE: true,
  PASSWORD_EXPIRED: true,
  LOCKED_OUT: true,
  RECOVERY: true,
  PROVISIONED: true,
  STAGED: true,
  SUSPENDED: false,
  DEPROVISIONED: false,
};

/** `<https://…?after=…>; rel="next"` → the URL, from one or several Link headers. */
export function parseNextLink(link: string | string[] | undefined): string | null {
  const values = Array.isArray(link) ? link : link === undefined ? [] : [link];
  for (const value of values) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
      if (m?.[1]) return m[1];
    }
  }
  return null;
}

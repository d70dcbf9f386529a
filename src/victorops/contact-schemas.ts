/**
 * The person-level endpoints' shapes (test/fixtures/victorops/v1-user-contact-methods.json and
 * v1-profile-paging-policy.json, sources in that folder's README). `verified` is the STRING
 * "verified" / "unverified"; devices carry no value and no verified state; a push rule has no
 * contact. The schemas parse; the reduction to hints (contact-types.ts) is in fetch-contacts.ts,
 * the only place the full values exist.
 */
import * as z from 'zod';
import { lazySchemas } from './schemas.js';

/**
 * Built on first use, like the policy schemas (schemas.ts): only `contacts-poll` and `doctor` read
 * these endpoints, and building the schemas is ~2 ms of every other command's start (issue 21).
 * `buildContactSchemas` builds a fresh set, for the test that compares them with these.
 */
export function buildContactSchemas() {
  const contactMethodSchema = z.object({
    id: z.number().int(),
    value: z.string().nullish(),
    verified: z.string().nullish(),
  });

  const deviceSchema = z.object({
    id: z.number().int(),
    deviceType: z.string().nullish(),
  });

  /**
   * Each group is `{_selfUrl, contactMethods: [...]}`; one public client meets a bare array for
   * devices, so a group that is an array is read as its list. A missing group is an empty one.
   */
  function group<T extends z.ZodType>(item: T) {
    return z
      .union([z.object({ contactMethods: z.array(item) }), z.array(item)])
      .nullish()
      .transform((g): z.infer<T>[] => (g == null ? [] : Array.isArray(g) ? g : g.contactMethods));
  }

  /** `GET /v1/user/{user}/contact-methods`. */
  const contactMethods = z.object({
    emails: group(contactMethodSchema),
    phones: group(contactMethodSchema),
    devices: group(deviceSchema),
  });

  /** `GET /v1/profile/{user}/policies`: the person's own paging policy. */
  const pagingPolicy = z.object({
    steps: z.array(
      z.object({
        index: z.number().int(),
        timeout: z.number(),
        rules: z.array(
          z.object({
            index: z.number().int(),
            type: z.string().min(1),
            contact: z.object({ id: z.number().int(), type: z.string().nullish() }).nullish(),
          }),
        ),
      }),
    ),
  });
  return { contactMethods, pagingPolicy };
}

const contactSchema = lazySchemas(buildContactSchemas);

/** `GET /v1/user/{user}/contact-methods`. */
export const contactMethodsSchema = contactSchema('contactMethods');
/** `GET /v1/profile/{user}/policies`: the person's own paging policy. */
export const pagingPolicySchema = contactSchema('pagingPolicy');
export type ApiContactMethods = z.infer<typeof contactMethodsSchema>;
export type ApiPagingPolicy = z.infer<typeof pagingPolicySchema>;

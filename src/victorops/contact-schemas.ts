/**
 * The person-level endpoints' shapes (test/fixtures/victorops/v1-user-contact-methods.json and
 * v1-profile-paging-policy.json, sources in that folder's README). `verified` is the STRING
 * "verified" / "unverified"; devices carry no value and no verified state; a push rule has no
 * contact. The schemas parse; the reduction to hints (contact-types.ts) is in fetch-contacts.ts,
 * the only place the full values exist.
 */
import * as z from 'zod';

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
export const contactMethodsSchema = z.object({
  emails: group(contactMethodSchema),
  phones: group(contactMethodSchema),
  devices: group(deviceSchema),
});
export type ApiContactMethods = z.infer<typeof contactMethodsSchema>;

/** `GET /v1/profile/{user}/policies`: the person's own paging policy. */
export const pagingPolicySchema = z.object({
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
export type ApiPagingPolicy = z.infer<typeof pagingPolicySchema>;

/**
 * The parts of the Admin SDK Directory API (users.list) and Google's OAuth 2.0 token endpoint that
 * roster-watch reads. Shapes from Google's client libraries and documentation
 * (test/fixtures/google/README.md); unknown fields pass, and every field may be absent or null.
 */
import * as z from 'zod';

const text = z.string().nullish();
const flag = z.boolean().nullish();

export const googleUserSchema = z.looseObject({
  id: text,
  primaryEmail: text,
  name: z.looseObject({ fullName: text, givenName: text, familyName: text }).nullish(),
  suspended: flag,
  archived: flag,
  aliases: z.array(z.string()).nullish(),
  nonEditableAliases: z.array(z.string()).nullish(),
});
export type GoogleUser = z.infer<typeof googleUserSchema>;

/** `Schema$Users`: `users` is absent on an empty page, `nextPageToken` on the last. */
export const googleUserPageSchema = z.looseObject({
  users: z.array(googleUserSchema).nullish(),
  nextPageToken: text,
});

/** The body of every Google API error: `{"error": {"code", "message", "status"}}`. */
export const googleErrorSchema = z.looseObject({
  error: z.looseObject({
    code: z.number().int(),
    message: z.string().optional(),
    status: z.string().optional(),
  }),
});

export const googleTokenSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
});

/** RFC 6749 section 5.2, as Google's token endpoint answers a refused assertion. */
export const googleTokenErrorSchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});

/** The one scope roster-watch asks for: reading users, nothing else. */
export const DIRECTORY_READONLY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

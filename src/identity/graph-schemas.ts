/**
 * The parts of Microsoft Graph and the identity platform's token endpoint that roster-watch reads.
 * Shapes from Microsoft's documentation (test/fixtures/graph/README.md); unknown fields pass.
 */
import * as z from 'zod';

const nullableText = z.string().nullish();

export const graphUserSchema = z.looseObject({
  id: z.string().min(1).optional(),
  accountEnabled: z.boolean().nullish(),
  displayName: nullableText,
  mail: nullableText,
  otherMails: z.array(z.string()).nullish(),
  proxyAddresses: z.array(z.string()).nullish(),
  userPrincipalName: nullableText,
});
export type GraphUser = z.infer<typeof graphUserSchema>;

export const graphUserPageSchema = z.looseObject({
  value: z.array(graphUserSchema),
  '@odata.nextLink': z.string().optional(),
});

export const graphErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.string(), message: z.string() }),
});

export const tokenResponseSchema = z.looseObject({
  token_type: z.string(),
  expires_in: z.number(),
  access_token: z.string().min(1),
});

export const tokenErrorSchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
  /** AADSTS numbers (token-error.json: `"error_codes": [70011]`). */
  error_codes: z.array(z.number().int()).optional().catch(undefined),
});

/** The fields the reconciliation needs; `id` so a finding can name the Entra object. */
export const GRAPH_USER_SELECT =
  'accountEnabled,mail,otherMails,proxyAddresses,userPrincipalName,displayName,id';

/** `SMTP:a@x` (primary) and `smtp:b@x` (aliases) are mail addresses; X500:, SIP: and others are not. */
export function smtpAddresses(proxyAddresses: readonly string[]): string[] {
  const primary: string[] = [];
  const aliases: string[] = [];
  for (const p of proxyAddresses) {
    if (p.startsWith('SMTP:')) primary.push(p.slice(5));
    else if (p.toLowerCase().startsWith('smtp:')) aliases.push(p.slice(5));
  }
  return [...primary, ...aliases];
}

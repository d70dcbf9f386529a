/**
 * /_sim routes that change one person's contact methods and paging policy, so tests and the demo
 * can make someone unreachable and fix it again: set the whole profile, verify the phone, add a
 * device (the app installed).
 */
import * as z from 'zod';
import type { ControlContext } from './control-context.js';
import { parseBody, type Reply, type Route, replyError, replyJson } from './http-io.js';
import type { SimUser } from './org.js';

const ruleType = z.enum(['push', 'sms', 'phone', 'email']);
const profileBody = z.object({
  phoneVerified: z.boolean().nullable(),
  emailVerified: z.boolean().default(true),
  devices: z.array(z.string().trim().min(1)).default([]),
  // Step 1 rule 1 cannot be deleted in VictorOps, so a paging policy is never empty.
  policy: z.array(z.array(ruleType).min(1)).min(1),
});
const deviceBody = z.object({ deviceType: z.string().trim().min(1).default('iOS') });

export function createContactsControlRoutes(context: ControlContext): Route[] {
  const { org, contacts } = context;
  const withUser = (username: string, run: (user: SimUser) => Reply): Reply => {
    const user = org.getUser(username);
    return user ? run(user) : replyError(404, 'user-not-found');
  };
  return [
    {
      pattern: ['contacts', ':username'],
      methods: {
        PUT: (request, { username = '' }) => {
          const body = parseBody(request.rawBody, profileBody);
          if (!body.ok) return body.reply;
          return withUser(username, (user) => {
            contacts.set(user.username, user.email, body.value);
            return replyJson(200, { ok: true });
          });
        },
      },
    },
    {
      pattern: ['contacts', ':username', 'verify-phone'],
      methods: {
        POST: (_request, { username = '' }) =>
          withUser(username, (user) =>
            contacts.verifyPhone(user.username, user.email)
              ? replyJson(200, { ok: true })
              : replyError(422, `${user.username} has no phone to verify`),
          ),
      },
    },
    {
      pattern: ['contacts', ':username', 'devices'],
      methods: {
        POST: (request, { username = '' }) => {
          const body = parseBody(request.rawBody, deviceBody);
          if (!body.ok) return body.reply;
          return withUser(username, (user) => {
            contacts.addDevice(user.username, user.email, body.value.deviceType);
            return replyJson(200, { ok: true });
          });
        },
      },
    },
  ];
}

/**
 * The user page's reachability: the person's contact methods (hints only: a phone's last two
 * digits, an email's domain, a device's type; never the full value, which is never stored) and
 * their own paging policy, as the last contacts poll read them.
 */
import { describeMethod } from '../../roster/contact-types.js';
import { describePagingPolicy } from '../../roster/contacts-diff.js';
import { judgeRule } from '../../roster/reachability.js';
import { loadPersonContacts } from '../../store/contacts-store.js';
import { type Block, text } from '../model.js';
import type { PageContext } from './context.js';

const verifiedText = (v: boolean | null) => (v === null ? '' : v ? 'yes' : 'no');

export function reachabilityBlocks(ctx: PageContext, username: string): Block[] {
  const contacts = loadPersonContacts(ctx.store, username);
  if (contacts === null) {
    return [
      {
        kind: 'table',
        id: 'contact-methods',
        caption: 'Reachability',
        columns: ['Contact method', 'Verified'],
        rows: [],
        empty: 'Not read yet: run `roster-watch contacts-poll` (or set CONTACTS_SCHEDULE).',
      },
    ];
  }
  return [
    {
      kind: 'table',
      id: 'contact-methods',
      caption: 'Contact methods (hints only)',
      columns: ['Contact method', 'Verified'],
      rows: contacts.methods.map((m) => [text(describeMethod(m)), text(verifiedText(m.verified))]),
      empty: 'No contact method.',
    },
    {
      kind: 'table',
      id: 'paging-policy',
      caption: `Own paging policy: ${describePagingPolicy(contacts.pagingPolicy, contacts.methods)}`,
      columns: ['Step', 'Rule', 'Reaches them?'],
      rows: contacts.pagingPolicy.flatMap((step) =>
        step.rules.map((rule) => {
          const judged = judgeRule(rule, contacts);
          return [
            text(String(step.index)),
            text(rule.type),
            text(`${judged.reaches ? 'yes' : 'no'}: ${judged.reason}`),
          ];
        }),
      ),
      empty: 'No rule.',
    },
  ];
}

/**
 * A person's contact methods and personal paging policy as roster-watch keeps them: never the
 * full phone number or address, only what detects a change and tells a person what to fix (the
 * method's id, its type, whether it is verified, and a short hint). The VictorOps adapter reduces
 * the API's answers to these shapes; nothing downstream sees more.
 */

/**
 * A contact method: VictorOps' numeric id (what a paging rule's `contact.id` points at), its kind,
 * whether it is verified (null for devices), and a hint (a phone's last two digits, an email's
 * domain, a device's type). The shapes are the event catalogue's (src/contract/catalogue.ts).
 */
import type { ContactKind, ContactMethod, PagingRule, PagingStep } from '../contract/catalogue.js';

export type { ContactKind, ContactMethod, PagingRule, PagingStep };

/** `push` goes to every device (no contact); the others name one phone or email. */
export type PagingRuleType = 'push' | 'sms' | 'phone' | 'email';

/** What one contacts read found for one person. */
export interface PersonContacts {
  username: string;
  methods: ContactMethod[];
  pagingPolicy: PagingStep[];
}

/** Two digits say which phone without saying the number; fewer digits than that hint nothing. */
export function phoneHint(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length >= 4 ? `…${digits.slice(-2)}` : '…';
}

/** An address's domain says which of someone's addresses without saying the address. */
export function emailHint(value: string): string {
  const at = value.lastIndexOf('@');
  const domain =
    at < 0
      ? ''
      : value
          .slice(at + 1)
          .trim()
          .toLowerCase();
  return domain === '' ? '@…' : `@${domain}`;
}

/** How a method reads in a sentence: "phone …42", "email @example.com", "Android device". */
export function describeMethod(m: Pick<ContactMethod, 'kind' | 'hint'>): string {
  if (m.kind === 'device') return `${m.hint} device`;
  return `${m.kind} ${m.hint}`;
}

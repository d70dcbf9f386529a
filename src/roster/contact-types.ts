/**
 * A person's contact methods and personal paging policy as roster-watch keeps them: never the
 * full phone number or address, only what detects a change and tells a person what to fix (the
 * method's id, its type, whether it is verified, and a short hint). The VictorOps adapter reduces
 * the API's answers to these shapes; nothing downstream sees more.
 */

export type ContactKind = 'phone' | 'email' | 'device';

export interface ContactMethod {
  /** VictorOps' numeric id of the method: what a paging rule's `contact.id` points at. */
  id: number;
  kind: ContactKind;
  /** Phones and emails: `"verified"` in the API. Devices carry no verified state: null. */
  verified: boolean | null;
  /** A phone's last two digits (`…42`), an email's domain (`@example.com`), a device's type (`Android`). */
  hint: string;
}

/** `push` goes to every device (no contact); the others name one phone or email. */
export type PagingRuleType = 'push' | 'sms' | 'phone' | 'email';

export interface PagingRule {
  /** The API's type; a type roster-watch does not know is kept as it came, and not judged. */
  type: string;
  /** The contact method's id, or null (push rules, and rules whose contact is missing). */
  contactId: number | null;
}

export interface PagingStep {
  /** 1-based, as the VictorOps UI counts ("step 1"); the API's `index` is 0-based. */
  index: number;
  /** Minutes before the next step. */
  timeout: number;
  rules: PagingRule[];
}

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

/**
 * What a page is made of. Page builders turn store rows into these plain values; the templates
 * only lay them out (and escape every string), and the CSV writer reads the same tables, so every
 * table on screen can be downloaded as it is shown.
 */

export interface Cell {
  text: string;
  href?: string | undefined;
  /** Monospace: identifiers, instants, JSON. */
  mono?: boolean | undefined;
  /** Shown in a <details> under the text (an event's CloudEvent JSON). */
  details?: string | undefined;
  /** Shown on hover (a `title`): the slug behind a name, the UTC instant behind a local time. */
  title?: string | undefined;
  /** Small print after the text (a username after a person's name). Not in the CSV. */
  note?: string | undefined;
  /** An instant: rendered as `<time datetime>`, the text being its local reading. */
  datetime?: string | undefined;
}

export interface TableBlock {
  kind: 'table';
  /** Stable within a page: `?table=<id>` on the .csv variant picks it. */
  id: string;
  caption: string;
  columns: string[];
  rows: Cell[][];
  empty: string;
  /** The next page of a keyset-paginated table. */
  nextHref?: string | undefined;
  /** The next page link's text ("Older →" when absent: most tables page back in time). */
  nextLabel?: string | undefined;
  /** Set by the router: where this table downloads as CSV. */
  csvHref?: string | undefined;
}

export interface ChartBlock {
  kind: 'chart';
  caption: string;
  /** Built by chart.ts, which escapes every label it writes. */
  svg: string;
}

export interface FactsBlock {
  kind: 'facts';
  caption: string;
  items: { label: string; value: Cell }[];
}

export type Field =
  | {
      kind: 'select';
      name: string;
      label: string;
      value: string;
      options: { value: string; label: string }[];
    }
  | {
      kind: 'input';
      type: 'text' | 'datetime-local';
      name: string;
      label: string;
      value: string;
      hint?: string;
    };

export interface FormBlock {
  kind: 'form';
  caption: string;
  action: string;
  fields: Field[];
  submit: string;
}

export interface TextBlock {
  kind: 'text';
  caption?: string | undefined;
  lines: Cell[];
  /** Render as a preformatted block (commands, SQL). */
  pre?: boolean | undefined;
}

export type Block = TableBlock | ChartBlock | FactsBlock | FormBlock | TextBlock;

export interface Page {
  title: string;
  /** Which navigation entry is current. */
  nav:
    | 'overview'
    | 'timeline'
    | 'roster'
    | 'oncall'
    | 'findings'
    | 'policies'
    | 'reachability'
    | 'runs'
    | 'deliveries'
    | 'none';
  heading: string;
  subtitle?: string | undefined;
  /** The search page's query, shown again in the header's search box. */
  query?: string | undefined;
  blocks: Block[];
}

export const text = (value: string | number | null | undefined, href?: string): Cell =>
  href === undefined
    ? { text: value === null || value === undefined ? '' : String(value) }
    : { text: String(value ?? ''), href };

export const mono = (value: string | number | null | undefined, href?: string): Cell => ({
  ...text(value, href),
  mono: true,
});

/**
 * `schemas/events.schema.json` as the catalogue (catalogue.ts) defines it: the CloudEvents envelope,
 * then one `if type is const → then data` entry per event type, the shared shapes under
 * `definitions`. `npm run schemas` writes it (scripts/write-event-schema.mjs); a unit test fails
 * while the committed file differs from what this returns.
 */
import * as z from 'zod';
import { ABSENT_ON_OLDER_EVENTS, EVENT_DATA, envelopeSchema } from './catalogue.js';
import type { EventType } from './names.js';

type Json = Record<string, unknown>;

/** zod bounds every `z.int()` to the safe integers; the contract never said so, and no event nears it. */
const SAFE_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

function override(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const json = ctx.jsonSchema;
  if (SAFE_BOUNDS.has(json.maximum as number)) delete json.maximum;
  if (SAFE_BOUNDS.has(json.minimum as number)) delete json.minimum;
  const schema = ctx.zodSchema;
  if (!(schema instanceof z.ZodObject) || !Array.isArray(json.required)) return;
  const shape = schema.shape as Record<string, z.ZodType>;
  const lacking = new Set(Object.keys(shape).filter((key) => ABSENT_ON_OLDER_EVENTS.has(shape[key]!)));
  json.required = (json.required as string[]).filter((key) => !lacking.has(key));
}

function toJson(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, {
    target: 'draft-07',
    unrepresentable: 'throw',
    override: override as never,
  }) as Json;
  delete json.$schema;
  return json;
}

/** Moves a generated schema's `definitions` into `into`; the same name must mean the same shape. */
function hoistDefinitions(json: Json, into: Json): Json {
  const defs = (json.definitions ?? {}) as Json;
  for (const [name, def] of Object.entries(defs)) {
    if (name in into && JSON.stringify(into[name]) !== JSON.stringify(def)) {
      throw new Error(`event catalogue: two different shapes are both named "${name}"`);
    }
    into[name] = def;
  }
  delete json.definitions;
  return json;
}

export function eventJsonSchema(): Json {
  const definitions: Json = {};
  // JSON Schema's if/then, built from entries: an object literal with `then` reads as a thenable.
  const allOf = (Object.keys(EVENT_DATA) as EventType[]).map((type) =>
    Object.fromEntries([
      ['if', { properties: { type: { const: type } } }],
      ['then', { properties: { data: hoistDefinitions(toJson(EVENT_DATA[type]), definitions) } }],
    ]),
  );
  const envelope = hoistDefinitions(toJson(envelopeSchema), definitions);
  const sorted: Json = {};
  for (const name of Object.keys(definitions).sort()) sorted[name] = definitions[name];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://roster-watch.dev/schemas/events.schema.json',
    title: 'roster-watch event (CloudEvents 1.0, structured JSON)',
    description:
      'Every event roster-watch stores, delivers to webhooks and prints with `history --json`. Generated from src/contract/catalogue.ts by `npm run schemas`: do not edit by hand.',
    definitions: sorted,
    ...envelope,
    allOf,
  };
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

const schema = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '..', '..', 'schemas', 'events.schema.json'), 'utf8'),
);
const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validate = ajv.compile(schema);

/** Throws with every schema violation when an event does not match schemas/events.schema.json. */
export function assertValidEvent(event: unknown): void {
  if (!validate(event)) {
    throw new Error(
      `event does not match the schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(event)}`,
    );
  }
}

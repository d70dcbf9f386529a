// Writes schemas/events.schema.json from the event catalogue (src/contract/catalogue.ts), through
// the build in dist/ (`npm run schemas` builds first). test/unit/contract/event-schema.test.ts
// fails while the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { eventJsonSchema } from '../dist/contract/json-schema.js';

writeFileSync('schemas/events.schema.json', `${JSON.stringify(eventJsonSchema(), null, 2)}\n`);

/**
 * Validation of a run record against clln's run-record JSON Schema (src/formats/schemas/clln.run-record-1.schema.json)
 * line by line, and of each document against Bluesky's own event-model schemas (test/store/event-model/, unmodified).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

const SCHEMAS = resolve(__dirname, '../../src/formats/schemas');
const EVENT_MODEL = resolve(__dirname, '../store/event-model');
const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));
const cllnAjv = new Ajv2020({ strict: true, allErrors: true });
const validateLine = cllnAjv.compile(json(join(SCHEMAS, 'clln.run-record-1.schema.json')));
// the event-model's schemas as published (not written for ajv's strict mode)
const bluesky = new Ajv2020({ strict: false, allErrors: true });
const EVENT_MODEL_SCHEMA: Record<string, string> = { start: 'run_start', descriptor: 'event_descriptor', event: 'event', stop: 'run_stop' };
const validateDoc = Object.fromEntries(Object.entries(EVENT_MODEL_SCHEMA).map(([name, file]) => [name, bluesky.compile(json(join(EVENT_MODEL, `${file}.json`)))]));

/** Every line of a record against clln's schema, and its document against the event model's; returns the problems. */
export function schemaProblems(path: string): string[] {
  const problems: string[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .forEach((text, i) => {
      const line = JSON.parse(text) as [string, unknown];
      if (!validateLine(line)) problems.push(`line ${i + 1} (clln): ${cllnAjv.errorsText(validateLine.errors)}`);
      const v = validateDoc[line[0]];
      if (!v(line[1])) problems.push(`line ${i + 1} (event-model ${EVENT_MODEL_SCHEMA[line[0]]}): ${bluesky.errorsText(v.errors)}`);
    });
  return problems;
}

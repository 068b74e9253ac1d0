/**
 * Reading a run file back (JSON lines of `[name, doc]`, see README.md). The last line may be torn — cut short by
 * a crash in the middle of a write: it lacks its newline or does not parse — and is then ignored (`torn: true`).
 * Anything else that is wrong is an {@link InvalidInputError} naming the file and the line.
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError, show } from '../errors.js';
import { statusOf, type DescriptorDoc, type EventDoc, type RunRecord, type StartDoc, type StopDoc } from './documents.js';

/** Read and check a run file. */
export function readRun(path: string): RunRecord {
  return parseRun(readRunBytes(path), path).record;
}

/** The bytes of a run file; a missing or unreadable file is an InvalidInputError. */
export function readRunBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new InvalidInputError({ source: path }, `cannot read the run file: ${reason}`, 'check the path (runs are *.jsonl files, by default in runs/)');
  }
}

/** A parsed run and the length in bytes of its intact part (everything before a torn last line). */
export interface ParsedRun {
  record: RunRecord;
  /** Bytes of the file up to and including the last intact line's newline. */
  intactBytes: number;
}

const NL = 0x0a;

/** Parse the bytes of a run file. `path` names the file in errors and in the record. */
export function parseRun(buf: Buffer, path: string): ParsedRun {
  // Split into lines, remembering where each starts.
  const lines: { start: number; end: number; complete: boolean }[] = [];
  let from = 0;
  while (from < buf.length) {
    const nl = buf.indexOf(NL, from);
    if (nl < 0) {
      lines.push({ start: from, end: buf.length, complete: false });
      break;
    }
    lines.push({ start: from, end: nl, complete: true });
    from = nl + 1;
  }

  const docs: { name: string; doc: Record<string, unknown>; line: number }[] = [];
  let torn = false;
  let intactBytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const { start, end, complete } = lines[i];
    const isLast = i === lines.length - 1;
    const text = buf.toString('utf8', start, end);
    let value: unknown;
    let parsed = complete;
    if (complete) {
      try {
        value = JSON.parse(text);
      } catch {
        parsed = false;
      }
    }
    if (!parsed) {
      if (isLast) {
        torn = true;
        break;
      }
      throw bad(path, i + 1, `is not a JSON document line: ${show(text)}`, 'a run file holds one JSON array ["name", {...}] per line; only the last line may be torn');
    }
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || !isObject(value[1])) {
      throw bad(path, i + 1, `must be a JSON array ["name", {document}], got ${show(value)}`);
    }
    docs.push({ name: value[0], doc: value[1], line: i + 1 });
    intactBytes = end + 1;
  }

  if (docs.length === 0) {
    throw new InvalidInputError({ source: path }, torn ? 'the run file holds only a torn line (the run never started)' : 'the run file is empty', 'delete the file; the run was never recorded');
  }
  const startEntry = docs[0];
  if (startEntry.name !== 'start') throw bad(path, startEntry.line, `must be the start document, got ${show(startEntry.name)}`);
  const start = startEntry.doc as StartDoc;
  need(path, startEntry.line, 'start', start, 'uid', 'string');
  need(path, startEntry.line, 'start', start, 'time', 'number');

  const descEntry = docs[1];
  if (!descEntry) {
    throw new InvalidInputError({ source: path }, 'the run file has a start document but no descriptor (the run was cut off while it was being created)', 'delete the file; no step was recorded');
  }
  if (descEntry.name !== 'descriptor') throw bad(path, descEntry.line, `must be the descriptor document, got ${show(descEntry.name)}`);
  const descriptor = descEntry.doc as DescriptorDoc;
  need(path, descEntry.line, 'descriptor', descriptor, 'uid', 'string');
  need(path, descEntry.line, 'descriptor', descriptor, 'time', 'number');
  need(path, descEntry.line, 'descriptor', descriptor, 'name', 'string');
  if (descriptor.run_start !== start.uid) throw bad(path, descEntry.line, `descriptor run_start ${show(descriptor.run_start)} is not the start uid ${show(start.uid)}`);
  if (!isObject(descriptor.data_keys)) throw bad(path, descEntry.line, `descriptor data_keys must be an object, got ${show(descriptor.data_keys)}`);

  const events: EventDoc[] = [];
  let stop: StopDoc | undefined;
  for (let k = 2; k < docs.length; k++) {
    const { name, doc, line } = docs[k];
    if (stop) throw bad(path, line, `document ${show(name)} after the stop document`, 'a run file ends with its stop document');
    if (name === 'event') {
      const ev = doc as unknown as EventDoc;
      need(path, line, 'event', ev, 'uid', 'string');
      need(path, line, 'event', ev, 'time', 'number');
      need(path, line, 'event', ev, 'seq_num', 'number');
      if (ev.descriptor !== descriptor.uid) throw bad(path, line, `event descriptor ${show(ev.descriptor)} is not the descriptor uid ${show(descriptor.uid)}`);
      const expected = events.length + 1;
      if (ev.seq_num !== expected) throw bad(path, line, `event seq_num ${show(ev.seq_num)}, expected ${expected} (seq_num runs 1, 2, ... without gaps)`);
      if (!isObject(ev.data)) throw bad(path, line, `event data must be an object, got ${show(ev.data)}`);
      if (!isObject(ev.timestamps)) throw bad(path, line, `event timestamps must be an object, got ${show(ev.timestamps)}`);
      events.push(ev);
    } else if (name === 'stop') {
      const s = doc as unknown as StopDoc;
      need(path, line, 'stop', s, 'uid', 'string');
      need(path, line, 'stop', s, 'time', 'number');
      if (s.run_start !== start.uid) throw bad(path, line, `stop run_start ${show(s.run_start)} is not the start uid ${show(start.uid)}`);
      if (s.exit_status !== 'success' && s.exit_status !== 'abort' && s.exit_status !== 'fail') {
        throw bad(path, line, `stop exit_status must be success, abort or fail, got ${show(s.exit_status)}`);
      }
      const n = isObject(s.num_events) ? (s.num_events as Record<string, unknown>)[descriptor.name] : undefined;
      if (n !== undefined && n !== events.length) throw bad(path, line, `stop num_events.${descriptor.name} is ${show(n)} but the file holds ${events.length} events`);
      stop = s;
    } else if (name === 'start' || name === 'descriptor') {
      throw bad(path, line, `a second ${name} document (one run per file, one event stream per run)`);
    } else {
      throw bad(path, line, `unknown document kind ${show(name)} (expected event or stop)`);
    }
  }

  return { record: { path, start, descriptor, events, stop, torn, status: statusOf(stop) }, intactBytes };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function bad(path: string, line: number, problem: string, fix?: string): InvalidInputError {
  return new InvalidInputError({ source: path, field: `line ${line}` }, problem, fix);
}

function need(path: string, line: number, kind: string, doc: object, key: string, type: 'string' | 'number'): void {
  const v = (doc as Record<string, unknown>)[key];
  if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) {
    throw bad(path, line, `${kind} ${key} must be a ${type}, got ${show(v)}`);
  }
}

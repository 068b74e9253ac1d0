/**
 * Reading a run file back (JSON lines of `[name, doc]`, see README.md). The last line may be torn — cut short by
 * a crash in the middle of a write: it lacks its newline or does not parse — and is then ignored (`torn: true`).
 * Anything else that is wrong is an {@link InvalidInputError} naming the file and the line. Reading is bounded: the
 * file's size ({@link MAX_RUN_FILE_BYTES}) is checked before it is read, each line's length
 * ({@link MAX_RUN_LINE_BYTES}) before it is decoded, and its syntax and nesting depth ({@link MAX_JSON_DEPTH})
 * before it is parsed.
 */
import { InvalidInputError, show } from '../errors.js';
import { checkJsonSyntax } from '../formats/jsonSyntax.js';
import { MAX_JSON_DEPTH, MAX_RUN_FILE_BYTES, MAX_RUN_LINE_BYTES } from '../formats/limits.js';
import { readInputFile } from '../formats/readInputFile.js';
import { statusOf, type DescriptorDoc, type EventDoc, type RunRecord, type StartDoc, type StopDoc } from './documents.js';

/** Read and check a run file. */
export function readRun(path: string): RunRecord {
  return parseRun(readRunBytes(path), path).record;
}

/**
 * The bytes of a run file. A missing file or one over {@link MAX_RUN_FILE_BYTES} is an InvalidInputError, a failure
 * to read it (permission denied, an I/O error) an IoError.
 */
export function readRunBytes(path: string): Buffer {
  return readInputFile(path, 'run file', MAX_RUN_FILE_BYTES, 'check the path (runs are *.jsonl files, by default in runs/)');
}

/**
 * The line of a run file that holds the event with `seqNum`: a file that {@link parseRun} accepts holds the start
 * document on line 1, the descriptor on line 2 and the events in seq_num order without gaps from line 3.
 */
export function eventLine(seqNum: number): number {
  return seqNum + 2;
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
    if (!complete) {
      torn = true; // only the last line can lack its newline
      break;
    }
    if (end - start > MAX_RUN_LINE_BYTES) {
      throw bad(path, i + 1, `is ${end - start} bytes long; the limit is ${MAX_RUN_LINE_BYTES} bytes per line`, 'check that this is a run file written by clln');
    }
    const text = buf.toString('utf8', start, end);
    const problem = checkJsonSyntax(text, MAX_JSON_DEPTH);
    if (problem) {
      if (problem.tooDeep) {
        throw bad(path, i + 1, `column ${problem.column}: the line is ${problem.problem}`, 'check that this is a run file written by clln: its documents nest a few levels deep');
      }
      if (isLast) {
        torn = true; // cut short by a crash in the middle of a write
        break;
      }
      throw bad(
        path,
        i + 1,
        `is not a JSON document line: column ${problem.column}: ${problem.problem}; the line starts ${show(text)}`,
        'a run file holds one JSON array ["name", {...}] per line; only the last line may be torn',
      );
    }
    const value: unknown = JSON.parse(text);
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

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

/** The line (1-based) each event was read from, for messages naming it; events of any stream. */
const linesRead = new WeakMap<object, number>();

/**
 * The line of a run file that holds `event`: the line {@link parseRun} read it from. The two streams of a run
 * (`primary` and `evaluation`) interleave, so the line is not a function of `seq_num`; an event that was not read
 * from a file (built in memory, or a copy) is placed as in a file of one stream: start on line 1, descriptor on
 * line 2, the event with seq_num s on line s + 2. `undefined` (no event yet) gives line 2, the descriptor's.
 */
export function eventLine(event: { seq_num?: number } | undefined): number {
  if (event === undefined) return 2;
  return linesRead.get(event) ?? (event.seq_num ?? 0) + 2;
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
  // the evaluation stream (contract A of issue 15): its descriptor comes just before its first event
  let evaluation: { descriptor: DescriptorDoc; events: EventDoc[] } | undefined;
  let stop: StopDoc | undefined;
  for (let k = 2; k < docs.length; k++) {
    const { name, doc, line } = docs[k];
    if (stop) throw bad(path, line, `document ${show(name)} after the stop document`, 'a run file ends with its stop document');
    if (name === 'event') {
      const ev = doc as unknown as EventDoc;
      need(path, line, 'event', ev, 'uid', 'string');
      need(path, line, 'event', ev, 'time', 'number');
      need(path, line, 'event', ev, 'seq_num', 'number');
      const stream = ev.descriptor === descriptor.uid ? events : ev.descriptor === evaluation?.descriptor.uid ? evaluation.events : undefined;
      if (!stream) {
        const uids = [descriptor.uid, ...(evaluation ? [evaluation.descriptor.uid] : [])].map((u) => show(u)).join(' or ');
        throw bad(path, line, `event descriptor ${show(ev.descriptor)} is not a descriptor uid of the run (${uids}) written before it`);
      }
      // seq_num counts per descriptor (the event model's rule), 1, 2, ... in each stream
      const expected = stream.length + 1;
      if (ev.seq_num !== expected) throw bad(path, line, `event seq_num ${show(ev.seq_num)}, expected ${expected} (seq_num runs 1, 2, ... without gaps in each stream)`);
      if (!isObject(ev.data)) throw bad(path, line, `event data must be an object, got ${show(ev.data)}`);
      if (!isObject(ev.timestamps)) throw bad(path, line, `event timestamps must be an object, got ${show(ev.timestamps)}`);
      stream.push(ev);
      linesRead.set(ev, line);
    } else if (name === 'descriptor') {
      const d = doc as unknown as DescriptorDoc;
      if (evaluation || d.name !== 'evaluation') {
        throw bad(path, line, `a descriptor named ${show(d.name)}${evaluation ? ' after the evaluation descriptor' : ''}: a clln run has the streams primary (line 2) and evaluation only`, 'check that this is a run file written by clln');
      }
      need(path, line, 'descriptor', d, 'uid', 'string');
      need(path, line, 'descriptor', d, 'time', 'number');
      if (d.run_start !== start.uid) throw bad(path, line, `descriptor run_start ${show(d.run_start)} is not the start uid ${show(start.uid)}`);
      if (d.uid === descriptor.uid) throw bad(path, line, `descriptor uid ${show(d.uid)} is the primary descriptor's`);
      if (!isObject(d.data_keys)) throw bad(path, line, `descriptor data_keys must be an object, got ${show(d.data_keys)}`);
      evaluation = { descriptor: d, events: [] };
    } else if (name === 'stop') {
      const s = doc as unknown as StopDoc;
      need(path, line, 'stop', s, 'uid', 'string');
      need(path, line, 'stop', s, 'time', 'number');
      if (s.run_start !== start.uid) throw bad(path, line, `stop run_start ${show(s.run_start)} is not the start uid ${show(start.uid)}`);
      if (s.exit_status !== 'success' && s.exit_status !== 'abort' && s.exit_status !== 'fail') {
        throw bad(path, line, `stop exit_status must be success, abort or fail, got ${show(s.exit_status)}`);
      }
      const counts = isObject(s.num_events) ? (s.num_events as Record<string, unknown>) : {};
      for (const [stream, held] of [[descriptor.name, events.length], ...(evaluation ? [[evaluation.descriptor.name, evaluation.events.length]] : [])] as [string, number][]) {
        const n = counts[stream];
        if (n !== undefined && n !== held) throw bad(path, line, `stop num_events.${stream} is ${show(n)} but the file holds ${held} ${stream} events`);
      }
      stop = s;
    } else if (name === 'start') {
      throw bad(path, line, 'a second start document (one run per file)');
    } else {
      throw bad(path, line, `unknown document kind ${show(name)} (expected descriptor, event or stop)`);
    }
  }

  return { record: { path, start, descriptor, events, ...(evaluation ? { evaluation } : {}), stop, torn, status: statusOf(stop) }, intactBytes };
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

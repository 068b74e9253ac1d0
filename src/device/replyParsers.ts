/**
 * Parsers of the reply payloads the serial host reads (PROTOCOL.md section 7). Each returns the value or throws
 * BoardProtocolError(0, ...) naming the command and what was wrong: a board that answers OK with a payload the
 * host cannot read has broken the protocol, and no result is better than a wrong one. Keyed fields are found by key
 * and unknown keys ignored; a key given twice is a violation (PROTOCOL.md section 3).
 */
import { parseCycleReply, parseFields, parseInteger, parseList, repeatedKey } from '../../firmware-protocol/codec.js';
import { BoardProtocolError } from '../errors.js';
import type { RunFrame } from './Board.js';

function violation(verb: string, problem: string, payload: string[]): BoardProtocolError {
  const text = payload.join(' ');
  return new BoardProtocolError(0, `${verb} reply ${problem}: ${JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text)}`);
}

/** The keyed fields of a payload; a repeated key is a violation. */
function keyed(verb: string, payload: string[]): Map<string, string> {
  const twice = repeatedKey(payload);
  if (twice !== null) throw violation(verb, `gives ${twice}= twice`, payload);
  return parseFields(payload);
}

/** A list of exactly `n` numbers, the whole payload (`MEAS`, `EGET`). */
export function parseValueList(verb: string, payload: string[], n: number): Float64Array {
  const l = payload.length === 1 ? parseList(payload[0]) : null;
  if (!l) throw violation(verb, 'is not one comma-separated list of numbers', payload);
  if (l.length !== n) throw violation(verb, `has ${l.length} values, expected ${n}`, payload);
  return Float64Array.from(l);
}

/** A required integer field `key=N` (a protocol integer: digits, no sign). */
export function intField(verb: string, payload: string[], key: string): number {
  const v = keyed(verb, payload).get(key);
  const x = v === undefined ? null : parseInteger(v);
  if (x === null) throw violation(verb, `lacks a non-negative integer ${key}=`, payload);
  return x;
}

/** A required field `key=WORD` whose value is one of `allowed`. */
export function stringField(verb: string, payload: string[], key: string, allowed: readonly string[]): string {
  const v = keyed(verb, payload).get(key);
  if (v === undefined || !allowed.includes(v)) throw violation(verb, `lacks ${key}= with one of ${allowed.join(', ')}`, payload);
  return v;
}

/** `STEP` payload: `vf=V,... changed=N`, with one voltage per target. */
export function parseStepReply(payload: string[], targets: number): { freeTargets: Float64Array; changed: number } {
  const vf = keyed('STEP', payload).get('vf');
  const l = vf === undefined ? null : parseList(vf);
  if (!l || l.length !== targets) throw violation('STEP', `needs vf= with ${targets} voltages`, payload);
  return { freeTargets: Float64Array.from(l), changed: intField('STEP', payload, 'changed') };
}

/**
 * Fields of a run frame, `S ex=I vf=V,... changed=N`: those after the word FRAME of a `! FRAME` message, and the
 * whole payload of a `RESEND` reply (PROTOCOL.md: exactly the same fields). `targets` = expected number of voltages.
 */
export function parseFrameFields(fields: string[], targets: number, what = 'FRAME'): RunFrame {
  const step = fields.length > 0 ? parseInteger(fields[0]) : null;
  if (step === null) throw violation(what, 'does not start with a step number', fields);
  const rest = fields.slice(1);
  const f = keyed(what, rest);
  const ex = intField(what, rest, 'ex');
  const vf = f.get('vf');
  const l = vf === undefined ? null : parseList(vf);
  if (!l || l.length !== targets) throw violation(what, `needs vf= with ${targets} voltages`, fields);
  return { step, example: ex, freeTargets: Float64Array.from(l), changed: intField(what, rest, 'changed') };
}

/** A protocol 1.4 `STEP` reply's `set=`: every edge's setting after the step (PROTOCOL.md 7.2). */
export function parseStepSettings(payload: string[], edges: number): Float64Array {
  const set = keyed('STEP', payload).get('set');
  const l = set === undefined ? null : parseList(set);
  if (!l || l.length !== edges) throw violation('STEP', `needs set= with ${edges} edge settings (protocol 1.4)`, payload);
  return Float64Array.from(l);
}

/** A protocol 1.4 `CYCLE` reply: every node's free (`vf=`) and clamped (`vc=`) reading (PROTOCOL.md 7.2). */
export function parseCycle(payload: string[], nodes: number): { free: Float64Array; clamped: Float64Array } {
  const r = parseCycleReply(payload, nodes);
  if (typeof r === 'string') throw new BoardProtocolError(0, `${r}: ${payload.join(' ').slice(0, 120)}`);
  return { free: Float64Array.from(r.vf), clamped: Float64Array.from(r.vc) };
}

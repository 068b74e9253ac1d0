/**
 * Parsers of the reply payloads the serial host reads (PROTOCOL.md "Commands"). Each returns the value or throws
 * BoardProtocolError(0, ...) naming the command and what was wrong: a board that answers OK with a payload the
 * host cannot read has broken the protocol, and no result is better than a wrong one.
 */
import { parseFields, parseList, parseNumber } from '../../firmware-protocol/codec.js';
import { BoardProtocolError } from '../errors.js';
import type { RunFrame } from './Board.js';

function violation(verb: string, problem: string, payload: string[]): BoardProtocolError {
  const text = payload.join(' ');
  return new BoardProtocolError(0, `${verb} reply ${problem}: ${JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text)}`);
}

/** A list of exactly `n` numbers, the whole payload (`MEAS`, `EGET`). */
export function parseValueList(verb: string, payload: string[], n: number): Float64Array {
  const l = payload.length === 1 ? parseList(payload[0]) : null;
  if (!l) throw violation(verb, 'is not one comma-separated list of numbers', payload);
  if (l.length !== n) throw violation(verb, `has ${l.length} values, expected ${n}`, payload);
  return Float64Array.from(l);
}

/** A required integer field `key=N` (>= 0). */
export function intField(verb: string, payload: string[], key: string): number {
  const v = parseFields(payload).get(key);
  const x = v === undefined ? null : parseNumber(v);
  if (x === null || !Number.isInteger(x) || x < 0) throw violation(verb, `lacks a non-negative integer ${key}=`, payload);
  return x;
}

/** `STEP` payload: `vf=V,... changed=N`, with one voltage per target. */
export function parseStepReply(payload: string[], targets: number): { freeTargets: Float64Array; changed: number } {
  const f = parseFields(payload);
  const vf = f.get('vf');
  const l = vf === undefined ? null : parseList(vf);
  if (!l || l.length !== targets) throw violation('STEP', `needs vf= with ${targets} voltages`, payload);
  return { freeTargets: Float64Array.from(l), changed: intField('STEP', payload, 'changed') };
}

/**
 * Fields of a run frame, `S ex=I vf=V,... changed=N`: those of a `! FRAME` message and of a `RESEND` reply (which
 * may also start with the word FRAME). `targets` = expected number of voltages.
 */
export function parseFrameFields(fields: string[], targets: number, what = 'FRAME'): RunFrame {
  const fs = fields[0] === 'FRAME' ? fields.slice(1) : fields;
  const f = parseFields(fs);
  const s = f.get('0');
  const step = s !== undefined && /^\d{1,9}$/.test(s) ? Number(s) : null;
  if (step === null) throw violation(what, 'does not start with a step number', fields);
  const ex = intField(what, fs, 'ex');
  const vf = f.get('vf');
  const l = vf === undefined ? null : parseList(vf);
  if (!l || l.length !== targets) throw violation(what, `needs vf= with ${targets} voltages`, fields);
  return { step, example: ex, freeTargets: Float64Array.from(l), changed: intField(what, fs, 'changed') };
}

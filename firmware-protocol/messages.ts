import { MAX_BODY } from './frame.js';

/**
 * Message bodies of PROTOCOL.md: commands (`SEQ VERB ARGS`), replies (`SEQ OK ...`, `SEQ ERR CODE MSG`) and
 * unsolicited device messages (`! KIND ...`). Pure functions; parsers return null instead of throwing.
 */

/** Protocol version implemented by this codec. */
export const PROTOCOL_VERSION = 1;

/** Highest sequence number; the host wraps from it to 1. */
export const MAX_SEQ = 65535;

/** Error codes of PROTOCOL.md. */
export const ErrorCode = {
  BadRequest: 400,
  UnknownVerb: 404,
  Conflict: 409,
  OutOfRange: 416,
  Internal: 500,
  Busy: 503,
} as const;

export interface Command {
  seq: number;
  verb: string;
  args: string[];
}

export type Reply =
  | { kind: 'ok'; seq: number; payload: string[] }
  | { kind: 'err'; seq: number; code: number; message: string }
  | { kind: 'event'; event: string; fields: string[] };

/** Next sequence number after `seq` (1..MAX_SEQ, wrapping). */
export function nextSeq(seq: number): number {
  return seq >= MAX_SEQ ? 1 : seq + 1;
}

/** `SEQ VERB ARGS...` */
export function formatCommand(seq: number, verb: string, args: string[] = []): string {
  return [String(seq), verb, ...args].join(' ');
}

/** Parse a command body; null if it is not `SEQ VERB ...` with a valid SEQ. */
export function parseCommand(body: string): Command | null {
  const f = body.split(' ');
  if (f.length < 2) return null;
  const seq = parseSeq(f[0]);
  if (seq === null || !/^[A-Z]+$/.test(f[1])) return null;
  return { seq, verb: f[1], args: f.slice(2).filter((x) => x !== '') };
}

/** `SEQ OK PAYLOAD...` */
export function formatOk(seq: number, payload: string[] = []): string {
  return [String(seq), 'OK', ...payload].join(' ');
}

/**
 * `SEQ ERR CODE MESSAGE`. To keep the frame valid, the message's '*', control and non-ASCII characters are replaced
 * by '?' and a message too long for one frame is cut (ending in `...`): an error reply can always be sent.
 */
export function formatErr(seq: number, code: number, message: string): string {
  const head = `${seq} ERR ${code} `;
  let msg = message.replace(/[^\x20-\x29\x2b-\x7e]/g, '?');
  if (head.length + msg.length > MAX_BODY) msg = msg.slice(0, Math.max(0, MAX_BODY - head.length - 3)) + '...';
  return head + msg;
}

/** `! KIND FIELDS...` */
export function formatEvent(kind: string, fields: string[] = []): string {
  return ['!', kind, ...fields].join(' ');
}

/** Parse a device message body; null if malformed. */
export function parseReply(body: string): Reply | null {
  const f = body.split(' ');
  if (f[0] === '!') {
    if (f.length < 2 || !/^[A-Z]+$/.test(f[1])) return null;
    return { kind: 'event', event: f[1], fields: f.slice(2) };
  }
  const seq = parseSeq(f[0]);
  if (seq === null || f.length < 2) return null;
  if (f[1] === 'OK') return { kind: 'ok', seq, payload: f.slice(2) };
  if (f[1] === 'ERR') {
    if (f.length < 3 || !/^\d{3}$/.test(f[2])) return null;
    return { kind: 'err', seq, code: Number(f[2]), message: f.slice(3).join(' ') };
  }
  return null;
}

function parseSeq(s: string): number | null {
  if (!/^[1-9]\d{0,4}$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_SEQ ? n : null;
}

// ---- argument encodings ----

/** A number as the protocol writes it: integers plainly, others with at most 6 decimals, no trailing zeros. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot send non-finite number ${x}`);
  if (Number.isInteger(x)) return String(x);
  const s = x.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** The value the other side receives for `x`: formatNumber then parse. */
export function wireNumber(x: number): number {
  return Number(formatNumber(x));
}

/** Parse a protocol number; null unless it is a finite decimal. Linear time in the length of `s`. */
export function parseNumber(s: string): number | null {
  // `\d+(\.\d*)?`, not `\d+\.?\d*`: the latter can split a run of digits in n ways and backtracks quadratically.
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
  const x = Number(s);
  return Number.isFinite(x) ? x : null;
}

/** `a,b,c` (or `-` for the empty list). */
export function formatList(xs: ArrayLike<number>): string {
  if (xs.length === 0) return '-';
  return Array.from(xs, formatNumber).join(',');
}

/** Parse `a,b,c` or `-`; null if any entry is not a number. */
export function parseList(s: string): number[] | null {
  if (s === '-') return [];
  const out: number[] = [];
  for (const part of s.split(',')) {
    const x = parseNumber(part);
    if (x === null) return null;
    out.push(x);
  }
  return out;
}

/** Largest index a pair can carry (`parsePairs` reads at most 6 digits). */
export const MAX_PAIR_INDEX = 999_999;

/**
 * `i:v,j:w` (or `-`). Throws RangeError on what `parsePairs` would reject (an index that is not an integer in
 * 0..MAX_PAIR_INDEX, a repeated index, a non-finite value), so such a frame is never sent.
 */
export function formatPairs(pairs: Iterable<readonly [number, number]>): string {
  const parts: string[] = [];
  const seen = new Set<number>();
  for (const [i, v] of pairs) {
    if (!Number.isInteger(i) || i < 0 || i > MAX_PAIR_INDEX) throw new RangeError(`pair index must be an integer in 0..${MAX_PAIR_INDEX}, got ${i}`);
    if (seen.has(i)) throw new RangeError(`pair index ${i} repeated`);
    seen.add(i);
    parts.push(`${i}:${formatNumber(v)}`);
  }
  return parts.length ? parts.join(',') : '-';
}

/** Parse `i:v,j:w` or `-`; indices must be non-negative integers and distinct. Null if malformed. */
export function parsePairs(s: string): [number, number][] | null {
  if (s === '-') return [];
  const out: [number, number][] = [];
  const seen = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d{1,6}):(.+)$/.exec(part);
    if (!m) return null;
    const i = Number(m[1]);
    const v = parseNumber(m[2]);
    if (v === null || seen.has(i)) return null;
    seen.add(i);
    out.push([i, v]);
  }
  return out;
}

/** Parse `KEY=VALUE` fields into a map (positional fields are returned under their index). */
export function parseFields(fields: string[]): Map<string, string> {
  const m = new Map<string, string>();
  fields.forEach((f, i) => {
    const eq = f.indexOf('=');
    if (eq > 0) m.set(f.slice(0, eq), f.slice(eq + 1));
    else m.set(String(i), f);
  });
  return m;
}

import { MAX_BODY } from './frame.js';

/**
 * Message bodies of PROTOCOL.md: commands (`SEQ VERB ARGS`), replies (`SEQ OK ...`, `SEQ ERR CODE MSG`) and
 * unsolicited device messages (`! KIND ...`). Pure functions; parsers return null instead of throwing.
 */

/**
 * Protocol version implemented by this codec, as `ID` and the banner write it (`proto=1.3`, PROTOCOL.md section 10).
 * Compared as text.
 */
export const PROTOCOL_VERSION = '1.3';

/**
 * The newest version of PROTOCOL.md, 1.4: a 1.3 board plus the compound commands of section 7.2 (`CYCLE`, `STEP src=`
 * and `STEP`'s `set=`). {@link PROTOCOL_VERSION} stays 1.3: it is the version of the board's state and `ID` fields,
 * which 1.4 left as they were (the twin's board core reports it; its firmware layer adds 1.4's commands).
 */
export const LATEST_PROTOCOL_VERSION = '1.4';

/**
 * Versions a host accepts from a board, compared as text (PROTOCOL.md section 10): 1.4; 1.3, which lacks 1.4's
 * compound commands (the host then uses the 1.3 ones); 1.2, which differs in that its `ID` carries no `keep=` (it
 * keeps 256 frames for RESEND); and 1.1, which has no `law=` either (the host then needs the law from a board
 * description file).
 */
export const ACCEPTED_PROTOCOL_VERSIONS: readonly string[] = ['1.1', '1.2', '1.3', '1.4'];

/**
 * True when a board speaking `protocol` has the compound commands of PROTOCOL.md 7.2 (`CYCLE`, `STEP src=`, `STEP`'s
 * `set=`): from 1.4 on. Compared as text against the versions this codec knows, so a later minor version must be added here.
 */
export function hasCompoundCommands(protocol: string): boolean {
  return protocol === '1.4';
}

/**
 * Most nodes a board may have for `CYCLE` (PROTOCOL.md 7.2): its reply carries 2 N numbers of at most 11 bytes each
 * (sign, digits, point, 6 decimals, separator) plus `SEQ OK vf= vc=` within the 1019-byte body, so N <= 45.
 */
export const CYCLE_MAX_NODES = 45;

/** Frames a board before protocol 1.3 keeps for `RESEND` (1.2 said "at least the last 256 steps"). */
export const KEEP_BEFORE_1_3 = 256;

/** Highest sequence number; the host wraps from it to 1. */
export const MAX_SEQ = 65535;

/** Error codes of PROTOCOL.md. */
export const ErrorCode = {
  BadRequest: 400,
  UnknownVerb: 404,
  Conflict: 409,
  OutOfRange: 416,
  RunFailed: 424,
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

/**
 * Parse a command body; null unless it is `SEQ VERB [ARG ...]` with a valid SEQ, an upper-case verb and no empty
 * field (PROTOCOL.md section 3). (What a device answers to the other bodies is the firmware's business: see
 * PROTOCOL.md sections 3.1 and 5.)
 */
export function parseCommand(body: string): Command | null {
  const f = body.split(' ');
  if (f.length < 2 || f.includes('')) return null;
  const seq = parseSeq(f[0]);
  if (seq === null || !/^[A-Z]+$/.test(f[1])) return null;
  return { seq, verb: f[1], args: f.slice(2) };
}

/** `SEQ OK PAYLOAD...` */
export function formatOk(seq: number, payload: string[] = []): string {
  return [String(seq), 'OK', ...payload].join(' ');
}

/**
 * `SEQ ERR CODE MESSAGE` (`SEQ ERR CODE` for an empty message). To keep the frame valid, the message's '*', control and non-ASCII characters are replaced
 * by '?' and a message too long for one frame is cut (ending in `...`): an error reply can always be sent.
 */
export function formatErr(seq: number, code: number, message: string): string {
  const head = `${seq} ERR ${code}`;
  let msg = message.replace(/[^\x20-\x29\x2b-\x7e]/g, '?');
  if (msg === '') return head; // no trailing space: PROTOCOL.md section 3
  if (head.length + 1 + msg.length > MAX_BODY) msg = msg.slice(0, Math.max(0, MAX_BODY - head.length - 4)) + '...';
  return `${head} ${msg}`;
}

/** `! KIND FIELDS...` */
export function formatEvent(kind: string, fields: string[] = []): string {
  return ['!', kind, ...fields].join(' ');
}

/**
 * Parse a device message body; null if malformed (PROTOCOL.md section 3): an empty field anywhere but in an ERR
 * message, a bad SEQ, a code that is not 3 digits.
 */
export function parseReply(body: string): Reply | null {
  const f = body.split(' ');
  if (f[0] === '!') {
    if (f.length < 2 || !/^[A-Z]+$/.test(f[1]) || f.includes('')) return null;
    return { kind: 'event', event: f[1], fields: f.slice(2) };
  }
  const seq = parseSeq(f[0]);
  if (seq === null || f.length < 2) return null;
  if (f[1] === 'OK') return f.includes('') ? null : { kind: 'ok', seq, payload: f.slice(2) };
  if (f[1] === 'ERR') {
    if (f.length < 3 || !/^[1-9]\d{2}$/.test(f[2])) return null;
    return { kind: 'err', seq, code: Number(f[2]), message: f.slice(3).join(' ') };
  }
  return null;
}

/** A SEQ field: `0|[1-9][0-9]*` with value 1..MAX_SEQ (PROTOCOL.md section 3.1); null otherwise. */
export function parseSeq(s: string): number | null {
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

/** An integer as PROTOCOL.md section 3.3 spells it: no sign, no leading zero, no point, no exponent. */
const INTEGER_RE = /^(0|[1-9][0-9]*)$/;
/**
 * A decimal number: the JSON number grammar (PROTOCOL.md section 3.3). Linear time: no part of it can match the
 * same digits in two ways, so there is no backtracking blow-up on long runs of digits.
 */
const NUMBER_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/** True if `s` is spelled as a protocol integer (whatever its size). */
export function isIntegerToken(s: string): boolean {
  return INTEGER_RE.test(s);
}

/** True if `s` is spelled as a protocol decimal number (whatever its size). */
export function isNumberToken(s: string): boolean {
  return NUMBER_RE.test(s);
}

/**
 * The value of a number token as a receiver uses it: rounded to 6 decimals (PROTOCOL.md section 3.3). Overflow gives
 * +-Infinity, which every range check refuses (a value error, 416, not a spelling error). Call only on a token that
 * passed {@link isNumberToken}.
 */
export function numberTokenValue(s: string): number {
  const x = Number(s);
  return Number.isFinite(x) ? wireNumber(x) : x;
}

/** Parse a protocol number (rounded to 6 decimals); null unless it is spelled per the grammar and finite. */
export function parseNumber(s: string): number | null {
  if (!isNumberToken(s)) return null;
  const x = numberTokenValue(s);
  return Number.isFinite(x) ? x : null;
}

/** Parse a protocol integer; null unless spelled per the grammar and a safe integer. */
export function parseInteger(s: string): number | null {
  if (!isIntegerToken(s)) return null;
  const x = Number(s);
  return Number.isSafeInteger(x) ? x : null;
}

/**
 * The entries of a list (`a,b,c`, or `-` = none) as tokens, unchecked; null if the list shape is wrong (an empty
 * entry). PROTOCOL.md section 3.4.
 */
export function splitList(s: string): string[] | null {
  if (s === '-') return [];
  const parts = s.split(',');
  return parts.includes('') ? null : parts;
}

/** The entries of a pair list (`i:v,j:w`, or `-`) as [index token, value token]; null if a pair lacks its one `:`. */
export function splitPairs(s: string): [string, string][] | null {
  const parts = splitList(s);
  if (!parts) return null;
  const out: [string, string][] = [];
  for (const p of parts) {
    const c = p.indexOf(':');
    if (c <= 0 || c === p.length - 1 || p.indexOf(':', c + 1) >= 0) return null;
    out.push([p.slice(0, c), p.slice(c + 1)]);
  }
  return out;
}

/** `a,b,c` (or `-` for the empty list). */
export function formatList(xs: ArrayLike<number>): string {
  if (xs.length === 0) return '-';
  return Array.from(xs, formatNumber).join(',');
}

/** Parse `a,b,c` or `-`; null if any entry is not a finite protocol number. */
export function parseList(s: string): number[] | null {
  const parts = splitList(s);
  if (!parts) return null;
  const out: number[] = [];
  for (const part of parts) {
    const x = parseNumber(part);
    if (x === null) return null;
    out.push(x);
  }
  return out;
}

/** Parse a node list `a,b,c` or `-`; null if any entry is not a protocol integer. */
export function parseIntegerList(s: string): number[] | null {
  const parts = splitList(s);
  if (!parts) return null;
  const out: number[] = [];
  for (const part of parts) {
    const x = parseInteger(part);
    if (x === null) return null;
    out.push(x);
  }
  return out;
}

/** Largest index a host writes in a pair (no board has a million nodes or edges). */
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

/** Parse `i:v,j:w` or `-`; indices protocol integers (safe) and distinct, values finite numbers. Null if malformed. */
export function parsePairs(s: string): [number, number][] | null {
  const parts = splitPairs(s);
  if (!parts) return null;
  const out: [number, number][] = [];
  const seen = new Set<number>();
  for (const [it, vt] of parts) {
    const i = parseInteger(it);
    const v = parseNumber(vt);
    if (i === null || v === null || seen.has(i)) return null;
    seen.add(i);
    out.push([i, v]);
  }
  return out;
}

/**
 * Parse `KEY=VALUE` fields into a map (positional fields are returned under their index). A repeated key keeps its
 * last value: check {@link repeatedKey} first where a repeat makes a payload malformed.
 */
export function parseFields(fields: string[]): Map<string, string> {
  const m = new Map<string, string>();
  fields.forEach((f, i) => {
    const eq = f.indexOf('=');
    if (eq > 0) m.set(f.slice(0, eq), f.slice(eq + 1));
    else m.set(String(i), f);
  });
  return m;
}

/** The first key that appears twice among `KEY=VALUE` fields, or null (PROTOCOL.md section 3: a repeat is malformed). */
export function repeatedKey(fields: string[]): string | null {
  const seen = new Set<string>();
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq <= 0) continue;
    const k = f.slice(0, eq);
    if (seen.has(k)) return k;
    seen.add(k);
  }
  return null;
}

/**
 * The clamp voltage of one target in a `CYCLE` (PROTOCOL.md 7.2), volts: `V_F + eta (desired - V_F)` from the free
 * reading `vf` as the reply reports it (already at 6 decimals), limited to the DAC range `lo..hi` and rounded to 6
 * decimals. The device and the host both compute it with this rule, so the host knows the clamps the device applied
 * without being told; it is what the 1.3 path sends as `CLAMP` (the host's rule, then the wire's rounding).
 */
export function cycleClamp(vf: number, desired: number, eta: number, lo: number, hi: number): number {
  return wireNumber(Math.min(hi, Math.max(lo, vf + eta * (desired - vf))));
}

/** The payload of a `CYCLE` reply: `vf=V0,... vc=V0,...` (every node's free and clamped reading). */
export function formatCycleReply(vf: ArrayLike<number>, vc: ArrayLike<number>): string[] {
  return [`vf=${formatList(vf)}`, `vc=${formatList(vc)}`];
}

/**
 * Parse a `CYCLE` reply payload for a board of `nodes` nodes (fields by key, unknown keys ignored, a repeated key
 * refused, each list exactly `nodes` numbers); a message saying what is wrong otherwise.
 */
export function parseCycleReply(payload: string[], nodes: number): { vf: number[]; vc: number[] } | string {
  if (repeatedKey(payload) !== null) return `CYCLE reply repeats the key ${repeatedKey(payload)}`;
  const f = parseFields(payload);
  const get = (k: string): number[] | string => {
    const t = f.get(k);
    if (t === undefined) return `CYCLE reply has no ${k}= field`;
    const v = parseList(t);
    if (!v || v.length !== nodes) return `CYCLE reply ${k}= must list ${nodes} numbers, got ${JSON.stringify(t.length > 40 ? t.slice(0, 37) + '...' : t)}`;
    return v;
  };
  const vf = get('vf');
  if (typeof vf === 'string') return vf;
  const vc = get('vc');
  if (typeof vc === 'string') return vc;
  return { vf, vc };
}

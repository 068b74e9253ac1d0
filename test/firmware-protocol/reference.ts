/**
 * An independent, deliberately plain model of PROTOCOL.md "Transport" and "Frames", to check the codec against:
 * a bit-at-a-time CRC (not the table one) and a line splitter written straight from the spec's words.
 * Strings here are one char per byte (latin1).
 */

export const LIMIT = 1024; // PROTOCOL.md: at most 1024 bytes before the line feed

/** CRC-16/CCITT-FALSE, one bit at a time: poly 0x1021, init 0xFFFF, no reflection, no final XOR. */
export function crcBitwise(bytes: string | Uint8Array): number {
  let c = 0xffff;
  for (let i = 0; i < bytes.length; i++) {
    const byte = typeof bytes === 'string' ? bytes.charCodeAt(i) : bytes[i];
    c ^= byte << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

export const hex4 = (c: number): string => c.toString(16).toUpperCase().padStart(4, '0');

/** The line (with its LF) that carries `body`. */
export function refLine(body: string): string {
  return `${body}*${hex4(crcBitwise(body))}\n`;
}

export type RefResult = { ok: true; body: string } | { ok: false; error: 'crc' | 'garbage' | 'overlong' | 'empty' };

/** Judge one line (the bytes before its LF). PROTOCOL.md 1.1: a line empty after its one CR is ignored ('empty'). */
export function refJudge(line: string): RefResult {
  const l = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (l === '') return { ok: false, error: 'empty' };
  if (l.length > LIMIT) return { ok: false, error: 'overlong' };
  if ([...l].some((ch) => ch < ' ' || ch > '~')) return { ok: false, error: 'garbage' };
  const m = /^([^*]*)\*([0-9A-F]{4})$/.exec(l);
  if (!m || parseInt(m[2], 16) !== crcBitwise(m[1])) return { ok: false, error: 'crc' };
  return { ok: true, body: m[1] };
}

export interface RefOutcome {
  bodies: string[];
  counters: { crc: number; garbage: number; overlong: number };
  /** Bytes a decoder holds afterwards: the unfinished last line, or 0 if that is already too long to keep. */
  pending: number;
}

/** What a receiver must make of a whole byte stream. */
export function refStream(bytes: string): RefOutcome {
  const out: RefOutcome = { bodies: [], counters: { crc: 0, garbage: 0, overlong: 0 }, pending: 0 };
  const parts = bytes.split('\n');
  const last = parts.pop()!;
  for (const line of parts) {
    const r = refJudge(line);
    if (r.ok) out.bodies.push(r.body);
    else if (r.error !== 'empty') out.counters[r.error]++;
  }
  // An unfinished line longer than LIMIT + 1 (room for a CR) can no longer be a frame: it is counted at once.
  if (last.length > LIMIT + 1) out.counters.overlong++;
  else out.pending = last.length;
  return out;
}

export const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

// ---- commands (PROTOCOL.md 1.1 sections 3, 5, 7), written from the spec's words, independent of the codec ----

const INT = /^(0|[1-9][0-9]*)$/;
const NUM = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const VERBS = ['PING', 'ID', 'TOPO', 'STAT', 'SRC', 'CLAMP', 'MEAS', 'EGET', 'ESET', 'STEP', 'SCHED', 'RUN', 'GRANT', 'HALT', 'RESEND', 'RESET'];
const WHILE_RUNNING = ['PING', 'ID', 'STAT', 'GRANT', 'HALT', 'RESEND'];

/** What a device must do with one valid frame body, as far as the body alone (and whether a run is active) says. */
export type RefCommand =
  | { kind: 'none' } // invalid SEQ: no reply, badseq + 1
  | { kind: 'reply'; seq: number; code: 400 | 404 | 416 | 503 } // exactly this error
  | { kind: 'reply'; seq: number; code: 'valid'; verb: string; args: string[] }; // well-formed: OK or a value/state error

/** A list `a,b` or `-` whose entries all match `entry`; null if it is not one. */
function refList(s: string, entry: RegExp): string[] | null {
  if (s === '-') return [];
  const parts = s.split(',');
  return parts.every((p) => entry.test(p)) ? parts : null;
}

function refPairs(s: string, value: RegExp): boolean {
  if (s === '-') return true;
  const seen = new Set<string>();
  for (const p of s.split(',')) {
    const m = /^([^:]*):([^:]*)$/.exec(p);
    if (!m || !INT.test(m[1]) || !value.test(m[2]) || seen.has(m[1])) return false;
    seen.add(m[1]);
  }
  return true;
}

/** KEY=VALUE arguments: allowed keys once each, required ones present; null if not. */
function refKeyed(args: string[], allowed: string[], required: string[]): Map<string, string> | null {
  const m = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    const k = eq > 0 ? a.slice(0, eq) : '';
    if (!allowed.includes(k) || m.has(k)) return null;
    m.set(k, a.slice(eq + 1));
  }
  return required.every((k) => m.has(k)) ? m : null;
}

/** Are the arguments of `verb` well-formed (section 7)? `gate`: the board has gate edges (amp= allowed, ESET volts). */
function refArgsOk(verb: string, args: string[], gate: boolean): boolean {
  switch (verb) {
    case 'PING':
    case 'ID':
    case 'TOPO':
    case 'STAT':
    case 'EGET':
    case 'RUN':
    case 'HALT':
      return args.length === 0;
    case 'SRC':
    case 'CLAMP':
      return args.length === 1 && refPairs(args[0], NUM);
    case 'ESET':
      return args.length === 1 && refPairs(args[0], gate ? NUM : INT);
    case 'MEAS': {
      const m = refKeyed(args, ['n'], []);
      return m !== null && (!m.has('n') || INT.test(m.get('n')!));
    }
    case 'STEP': {
      const m = refKeyed(args, gate ? ['eta', 'tgt', 'amp'] : ['eta', 'tgt'], ['eta', 'tgt']);
      return m !== null && NUM.test(m.get('eta')!) && (!m.has('amp') || NUM.test(m.get('amp')!)) && m.get('tgt') !== '-' && refPairs(m.get('tgt')!, NUM);
    }
    case 'GRANT':
    case 'RESEND':
      return args.length === 1 && INT.test(args[0]);
    case 'RESET': {
      const m = refKeyed(args, ['boot'], ['boot']);
      return m !== null && INT.test(m.get('boot')!);
    }
    case 'SCHED': {
      const [sub, ...rest] = args;
      if (sub === 'END') return rest.length === 0;
      if (sub === 'EX') {
        if (rest.length < 1 || !INT.test(rest[0])) return false;
        const m = refKeyed(rest.slice(1), ['in', 'out'], ['in', 'out']);
        return m !== null && refList(m.get('in')!, NUM) !== null && refList(m.get('out')!, NUM) !== null;
      }
      if (sub === 'BEGIN') {
        const keys = ['steps', 'examples', 'src', 'tgt', 'eta'];
        const m = refKeyed(rest, gate ? [...keys, 'amp'] : keys, keys);
        if (!m || !INT.test(m.get('steps')!) || !INT.test(m.get('examples')!) || !NUM.test(m.get('eta')!)) return false;
        if (m.has('amp') && !NUM.test(m.get('amp')!)) return false;
        const src = refList(m.get('src')!, INT);
        const tgt = refList(m.get('tgt')!, INT);
        if (!src || !tgt || tgt.length === 0) return false;
        return new Set([...src, ...tgt]).size === src.length + tgt.length;
      }
      return false;
    }
    default:
      return false;
  }
}

/** Judge one command body (its CRC already checked) per PROTOCOL.md 1.1, before the duplicate check's history. */
export function refCommand(body: string, running: boolean, gate: boolean): RefCommand {
  const f = body.split(' ');
  if (!INT.test(f[0]) || Number(f[0]) < 1 || Number(f[0]) > 65535) return { kind: 'none' };
  const seq = Number(f[0]);
  if (f.length < 2 || f.includes('')) return { kind: 'reply', seq, code: 400 };
  const verb = f[1];
  if (!VERBS.includes(verb)) return { kind: 'reply', seq, code: 404 };
  if (running && !WHILE_RUNNING.includes(verb)) return { kind: 'reply', seq, code: 503 };
  const args = f.slice(2);
  if (!refArgsOk(verb, args, gate)) return { kind: 'reply', seq, code: 400 };
  // the value rules that need no state: MEAS n in 1..1024, GRANT K in 0..65535 (416 comes before 409)
  const n = verb === 'MEAS' && args.length ? Number(args[0].slice(2)) : 1;
  if (!(n >= 1 && n <= 1024) || (verb === 'GRANT' && Number(args[0]) > 65535)) return { kind: 'reply', seq, code: 416 };
  return { kind: 'reply', seq, code: 'valid', verb, args };
}

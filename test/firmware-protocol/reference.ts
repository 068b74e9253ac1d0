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

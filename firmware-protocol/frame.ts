import { crc16, crcHex } from './crc16.js';

/** Longest line (bytes before the line feed) either side accepts; PROTOCOL.md "Transport". */
export const MAX_LINE = 1024;

/** Longest frame body: the line also holds `*CCCC` (5 bytes). */
export const MAX_BODY = MAX_LINE - 5;

/** Why a line was rejected: the name of the counter it bumps (PROTOCOL.md section 1). */
export type FrameError = 'crc' | 'garbage' | 'overlong';

/**
 * Result of checking one line: its body, why it is not a frame, or `empty` for an empty line (nothing, or only a
 * CR, before the LF), which PROTOCOL.md section 1 says to ignore without counting.
 */
export type FrameResult = { ok: true; body: string } | { ok: false; error: FrameError } | { ok: false; error: 'empty' };

/** Wrap a body into a frame line, `BODY*CCCC\n`. The body must be printable ASCII without `*`. */
export function encodeFrame(body: string): string {
  if (!isPrintableBody(body)) throw new RangeError(`frame body must be printable ASCII without '*', got ${JSON.stringify(body)}`);
  if (body.length > MAX_BODY) throw new RangeError(`frame body of ${body.length} bytes exceeds the ${MAX_LINE}-byte line limit`);
  return `${body}*${crcHex(crc16(body))}\n`;
}

/**
 * Check one line (without its line feed; one trailing CR is dropped and does not count toward MAX_LINE). Checks in
 * the order of PROTOCOL.md: overlong, garbage, crc. Pure; never throws.
 */
export function decodeFrame(line: string): FrameResult {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.length === 0) return { ok: false, error: 'empty' };
  if (line.length > MAX_LINE) return { ok: false, error: 'overlong' };
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return { ok: false, error: 'garbage' };
  }
  const star = line.length - 5;
  if (star < 0 || line.charCodeAt(star) !== 0x2a /* '*' */) return { ok: false, error: 'crc' };
  const body = line.slice(0, star);
  if (body.includes('*')) return { ok: false, error: 'crc' };
  const hex = line.slice(star + 1);
  if (!/^[0-9A-F]{4}$/.test(hex)) return { ok: false, error: 'crc' };
  if (parseInt(hex, 16) !== crc16(body)) return { ok: false, error: 'crc' };
  return { ok: true, body };
}

function isPrintableBody(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x2a) return false;
  }
  return true;
}

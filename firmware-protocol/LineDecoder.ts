import { decodeFrame, MAX_LINE, type FrameError } from './frame.js';

/** Counters of rejected input, per PROTOCOL.md. */
export interface LinkCounters {
  crc: number;
  garbage: number;
  overlong: number;
}

/**
 * Incremental decoder: bytes in, frame bodies out. Holds at most MAX_LINE + 1 bytes of an unfinished line (room for
 * the CR): a longer line is dropped up to the next line feed and counted as overlong. Empty lines are ignored and not
 * counted (PROTOCOL.md section 1). Never throws on any input.
 */
export class LineDecoder {
  readonly counters: LinkCounters = { crc: 0, garbage: 0, overlong: 0 };
  private buf: number[] = [];
  private discarding = false;

  /** Feed bytes (or a string of one char per byte); returns the bodies of the complete, valid frames they finish. */
  push(chunk: Uint8Array | string): string[] {
    const out: string[] = [];
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      // A string is one byte per char (latin1). A char above U+00FF is no byte at all: it stands for a non-printable
      // byte (0xFF), never for the low byte of its code, which could forge a line feed or a printable character.
      const b = typeof chunk === 'string' ? Math.min(chunk.charCodeAt(i), 0xff) : chunk[i];
      if (b === 0x0a) {
        if (this.discarding) {
          this.discarding = false;
        } else {
          const r = decodeFrame(String.fromCharCode(...this.buf));
          if (r.ok) out.push(r.body);
          else if (r.error !== 'empty') this.count(r.error); // empty lines are ignored, uncounted
        }
        this.buf.length = 0;
      } else if (!this.discarding) {
        // MAX_LINE + 1 leaves room for a CR before the LF
        if (this.buf.length >= MAX_LINE + 1) {
          this.discarding = true;
          this.buf.length = 0;
          this.count('overlong');
        } else {
          this.buf.push(b);
        }
      }
    }
    return out;
  }

  /** Forget any partial line (after a reconnect: a partial line from before is garbage). */
  reset(): void {
    this.buf.length = 0;
    this.discarding = false;
  }

  /** Bytes currently held of an unfinished line. */
  get pending(): number {
    return this.buf.length;
  }

  private count(e: FrameError): void {
    this.counters[e]++;
  }
}

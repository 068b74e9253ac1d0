/**
 * The golden vectors of `firmware-protocol/vectors/` (see PROTOCOL.md), for the tests of host and twin.
 * The JSON files stay in the source tree; this module finds them from its own location, so it works both from
 * source (`firmware-protocol/vectors.ts`) and compiled (`dist/firmware-protocol/vectors.js`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FrameError } from './frame.js';

/** A valid frame: its body and the exact line that encodes it (including the final `\n`). */
export interface FrameVector {
  name: string;
  /** Who sends it: `host` (a command) or `device` (a reply or an unsolicited message). */
  dir: 'host' | 'device';
  body: string;
  line: string;
}

/** A line every receiver rejects: one char per byte (latin1), ending in `\n`, and the counter it bumps. */
export interface BadLineVector {
  name: string;
  line: string;
  error: FrameError;
}

/**
 * One line a device must send back in a conversation (see generate.mjs for the meaning of each form). Regular
 * expressions use the subset common to POSIX ERE and ECMAScript.
 */
export type Expectation =
  | { reply: string; line: string }
  | { ok: number; match: string | string[] }
  | { err: number; code: number }
  | { event: string; match: string }
  | { again: true };

/** One step of a conversation: bytes to send (one char per byte, ending in LF), and every line that must come back. */
export interface ConversationStep {
  send: string;
  expect: Expectation[];
}

/**
 * A scripted exchange with a device that has just booted (boot counter 1, all counters 0) whose board is the
 * twins/models board named `board`; `rule` names the PROTOCOL.md sections it shows.
 */
export interface ConversationVector {
  name: string;
  rule: string;
  board: string;
  /**
   * The one protocol version the device must speak for this script (PROTOCOL.md section 10), when its expectations
   * hold for that version only (`proto=` in ID and the banner, STEP's `set=`, a verb an older version lacks): `1.3`
   * or `1.4` (the compound commands of section 7.2). Absent: the script holds nothing a later version changes, and
   * every device from 1.3 on passes it. A device replays the absent ones and those of its own version.
   */
  protocol?: string;
  steps: ConversationStep[];
}

export interface Vectors {
  frames: FrameVector[];
  badLines: BadLineVector[];
  conversations: ConversationVector[];
}

const PROBE = join('firmware-protocol', 'vectors', 'frames.json');

/**
 * The `firmware-protocol/vectors` directory: walks up from `from` (default: this module's directory) to the
 * first directory that holds `firmware-protocol/vectors/frames.json`. Throws if there is none.
 */
export function findVectorsDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, PROBE))) return join(dir, 'firmware-protocol', 'vectors');
    const up = dirname(dir);
    if (up === dir) throw new Error(`firmware-protocol/vectors/frames.json not found above ${from}`);
    dir = up;
  }
}

/** Read and parse the vector files (a fresh copy on every call). */
export function loadVectors(): Vectors {
  const dir = findVectorsDir();
  const read = (f: string): unknown => JSON.parse(readFileSync(join(dir, f), 'utf8'));
  return {
    frames: read('frames.json') as FrameVector[],
    badLines: read('bad-lines.json') as BadLineVector[],
    conversations: read('conversations.json') as ConversationVector[],
  };
}

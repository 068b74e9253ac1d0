/**
 * TerminalSession reads the screen only between frames: a frame drawn inside a synchronized update (BSU ... ESU)
 * can reach the test in several chunks of pty output, and a screen read between two of them shows half a frame.
 * This once let tui.test.ts take a half-drawn frame for "the quit question is gone", type its next key while the
 * question was still open, and wait forever.
 */
import { describe, expect, it } from 'vitest';
import { insideSynchronizedUpdate } from './TerminalSession.js';

const BSU = '\u001B[?2026h';
const ESU = '\u001B[?2026l';

describe('insideSynchronizedUpdate', () => {
  it('follows BSU and ESU across chunks, split at every byte boundary', () => {
    const out = `${BSU}frame one${ESU}${BSU}frame two, half`;
    // whole output at once: the last marker is a BSU
    expect(insideSynchronizedUpdate(out, 0, out.length, false)).toBe(true);
    // the output in two chunks, split at every position: after the second chunk the state is the same
    for (let cut = 0; cut <= out.length; cut++) {
      const first = insideSynchronizedUpdate(out, 0, cut, false);
      expect(insideSynchronizedUpdate(out, cut, out.length, first), `cut at ${cut}`).toBe(true);
    }
    const done = `${out} drawn${ESU}`;
    for (let cut = 0; cut <= done.length; cut++) {
      const first = insideSynchronizedUpdate(done, 0, cut, false);
      expect(insideSynchronizedUpdate(done, cut, done.length, first), `cut at ${cut}`).toBe(false);
    }
  });

  it('keeps the state through chunks without markers', () => {
    const out = `${BSU}abc`;
    expect(insideSynchronizedUpdate(`${out}def`, out.length, out.length + 3, true)).toBe(true);
    expect(insideSynchronizedUpdate('plain text', 0, 10, false)).toBe(false);
  });
});

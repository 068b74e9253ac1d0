/**
 * One expected line of a golden conversation (firmware-protocol/vectors/conversations.json) checked against the line
 * a device sent: the same judge for every implementation that replays the conversations (the twin, the C firmware).
 */
import { expect } from 'vitest';
import { decodeFrame } from '../../firmware-protocol/codec.js';
import type { Expectation } from '../../firmware-protocol/vectors.js';

/**
 * Checks `line` (one frame, with its LF) against `e`; `previousFirst` is the first line of the previous step (what
 * `again` must repeat byte for byte), `where` names the place for failure messages.
 */
export function checkExpectation(e: Expectation, line: string, previousFirst: string | undefined, where: string): void {
  const r = decodeFrame(line.slice(0, -1));
  expect(r.ok, `${where}: ${JSON.stringify(line)} is not a valid frame`).toBe(true);
  const body = r.ok ? r.body : '';
  const all = (m: string | string[], text: string): void => {
    for (const re of Array.isArray(m) ? m : [m]) expect(text, `${where}: ${JSON.stringify(body)} against /${re}/`).toMatch(new RegExp(re));
  };
  if ('again' in e) {
    expect(line, `${where}: not the previous reply again`).toBe(previousFirst);
  } else if ('reply' in e) {
    expect(body, where).toBe(e.reply);
    expect(line, where).toBe(e.line);
  } else if ('err' in e) {
    expect(body, where).toMatch(new RegExp(`^${e.err} ERR ${e.code}( |$)`));
  } else if ('ok' in e) {
    const head = `${e.ok} OK`;
    expect(body === head || body.startsWith(head + ' '), `${where}: ${JSON.stringify(body)} is not ${head} ...`).toBe(true);
    all(e.match, body.slice(head.length + 1));
  } else {
    const head = `! ${e.event}`;
    expect(body === head || body.startsWith(head + ' '), `${where}: ${JSON.stringify(body)} is not ${head} ...`).toBe(true);
    all(e.match, body.slice(head.length + 1));
  }
}

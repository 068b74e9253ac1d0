/**
 * The twin replays every golden conversation of firmware-protocol/vectors/conversations.json, byte for byte through
 * its server (line decoder, firmware, framing): each rule of PROTOCOL.md (1.3, and 1.4's compound commands) as an exchange with exact expected
 * output, "no reply" included. A C firmware (issue 13) replays the same file.
 */
import { describe, expect, it } from 'vitest';
import { loadVectors, type ConversationVector } from '../../firmware-protocol/vectors.js';
import { checkExpectation } from '../firmware-protocol/conversationCheck.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinFirmware } from '../../twins/TwinFirmware.js';
import { TwinServer } from '../../twins/TwinServer.js';

const { conversations } = loadVectors();

/** A twin on a byte link, freshly booted, that answers at once (baud 0) and steps a run at once (stepMs 0). */
function device(board: string, protocol: string | undefined): { send(bytes: string): Promise<string[]> } {
  const core = new TwinBoardCore(loadBoardModel(board), { ideal: true, seed: 0 });
  // a script without a protocol is a 1.3 script (PROTOCOL.md 10): the twin then speaks 1.3, as a 1.3 firmware would
  const server = new TwinServer(new TwinFirmware(core, { protocol: protocol === '1.4' ? '1.4' : '1.3' }), { baud: 0, stepMs: 0 });
  let out = '';
  server.attach((b) => (out += b.toString('latin1')));
  return {
    /** Send bytes; every line the device sends until it is quiescent (no run step pending). */
    async send(bytes: string): Promise<string[]> {
      out = '';
      server.input(bytes);
      // a run's frames come from the server's pump, one event-loop turn later
      do await new Promise((r) => setImmediate(r));
      while (server.firmware.hasPending);
      const lines = out.split('\n');
      expect(lines.pop(), 'the device left an unfinished line').toBe('');
      return lines.map((l) => l + '\n');
    },
  };
}

async function replay(c: ConversationVector): Promise<void> {
  const d = device(c.board, c.protocol);
  let previousFirst: string | undefined;
  for (let i = 0; i < c.steps.length; i++) {
    const st = c.steps[i];
    const got = await d.send(st.send);
    const where = `step ${i} (${JSON.stringify(st.send.length > 60 ? st.send.slice(0, 57) + '...' : st.send)})`;
    expect(got.length, `${where}: got ${JSON.stringify(got)}`).toBe(st.expect.length);
    st.expect.forEach((e, k) => checkExpectation(e, got[k], previousFirst, `${where}, line ${k}`));
    if (got.length) previousFirst = got[0];
  }
}

describe('golden conversations (firmware-protocol/vectors/conversations.json) against the twin', () => {
  it('cover every section of PROTOCOL.md that a device implements', () => {
    const rules = new Set(conversations.flatMap((c) => c.rule.split(/,\s*/)));
    for (const section of ['1', '2', '3', '3.1', '3.2', '3.3', '3.4', '4', '5', '7', '7.1', '7.2', '8', '10']) expect(rules, section).toContain(section);
    expect(new Set(conversations.map((c) => c.name)).size).toBe(conversations.length);
  });

  it.each(conversations.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await replay(c);
  });
});

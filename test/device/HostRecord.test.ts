/**
 * HostRecord.putBack on a recording fake link: what goes on the wire to put the acknowledged state back. The rules
 * are PROTOCOL.md's (a node is never driven and clamped at once, so clamps are released before sources are set and
 * set again after; a line never exceeds MAX_LINE), checked here command by command rather than through a twin.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, MAX_LINE, type BoardIdentity } from '../../firmware-protocol/codec.js';
import { HostRecord } from '../../src/device/HostRecord.js';
import { ProtocolCommands } from '../../src/device/ProtocolCommands.js';
import type { ReconnectingLink } from '../../src/device/ReconnectingLink.js';

/** A link that records every command and answers EGET with `edges`. */
function fakeLink(edges: number[]): { link: ReconnectingLink; sent: string[] } {
  const sent: string[] = [];
  const link = {
    async cmd(gen: number, verb: string, args: string[]): Promise<string[]> {
      expect(gen).toBe(7);
      sent.push([verb, ...args].join(' '));
      return verb === 'EGET' ? [edges.join(',')] : [];
    },
  } as unknown as ReconnectingLink;
  return { link, sent };
}

function commandsFor(link: ReconnectingLink, E: number): ProtocolCommands {
  const c = new ProtocolCommands(link, '/dev/test');
  c.identity = { edges: Array.from({ length: E }, (_, e) => [e, e + 1]) } as unknown as BoardIdentity;
  return c;
}

describe('HostRecord.putBack', () => {
  it('writes every edge, then releases clamps, sets the sources, sets the clamps (in that order)', async () => {
    const { link, sent } = fakeLink([]);
    const r = new HostRecord();
    r.edges = Float64Array.from([3, 0, 99]);
    r.sources = new Map([[0, 4], [15, 0]]);
    r.clamps = new Map([[6, 1.5]]);
    await r.putBack(link, commandsFor(link, 3), 7);
    expect(sent).toEqual(['ESET 0:3,1:0,2:99', 'CLAMP -', 'SRC 0:4,15:0', 'CLAMP 6:1.5']);
  });

  it('with no clamps recorded, none are set after the release; with no sources, SRC releases them', async () => {
    const { link, sent } = fakeLink([]);
    const r = new HostRecord();
    r.edges = Float64Array.from([1]);
    await r.putBack(link, commandsFor(link, 1), 7);
    expect(sent).toEqual(['ESET 0:1', 'CLAMP -', 'SRC -']);
  });

  it('edges unknown (after a requested reset): reads them instead of writing, and records what it read', async () => {
    const { link, sent } = fakeLink([50, 50, 12]);
    const r = new HostRecord();
    r.forget();
    await r.putBack(link, commandsFor(link, 3), 7);
    expect(sent).toEqual(['EGET', 'CLAMP -', 'SRC -']);
    expect(Array.from(r.edges!)).toEqual([50, 50, 12]);
  });

  it('many edges: ESET is split so that every line fits MAX_LINE, and together the lines set every edge once', async () => {
    const E = 4000;
    const { link, sent } = fakeLink([]);
    const r = new HostRecord();
    r.edges = Float64Array.from({ length: E }, (_, e) => (e * 7919) % 100_000 / 1000);
    await r.putBack(link, commandsFor(link, E), 7);
    const esets = sent.filter((l) => l.startsWith('ESET '));
    expect(esets.length).toBeGreaterThan(1);
    const seen: number[] = [];
    for (const l of esets) {
      // a SEQ of 5 digits in front, as on the wire
      expect(encodeFrame(`65535 ${l}`).length).toBeLessThanOrEqual(MAX_LINE);
      for (const p of l.slice(5).split(',')) {
        const [e, v] = p.split(':').map(Number);
        expect(v).toBe(r.edges![e]);
        seen.push(e);
      }
    }
    expect(seen).toEqual(Array.from({ length: E }, (_, e) => e));
  });
});

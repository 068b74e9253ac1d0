/**
 * Issue 12, point 4: `trainOnBoard` returns what the next call needs — the final nominal conductances and the board as
 * a network — so a script reads the physical Hessian's spectrum without rebuilding the edge lists or knowing which
 * nodes a task imposes. The conductances are checked against the board model file read here directly and the law
 * written out by hand from PROTOCOL.md section 7.1 (an independent statement of the law, not the code's edgeLaws).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectBoard } from '../../src/device/connectBoard.js';
import { physicalSpectrum } from '../../src/diagnostics/physicalSpectrum.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { trainOnBoard } from '../../src/pipeline/trainOnBoard.js';

interface ModelFile {
  nodes: number;
  edges: [number, number][];
  adc: { lo: number; hi: number };
  edge: { kind: 'tap'; taps: number; rMin: number; rMax: number } | { kind: 'gate'; s: number; vt: number };
}
const model = (name: string): ModelFile => JSON.parse(readFileSync(resolve(__dirname, `../../twins/models/${name}.json`), 'utf8')) as ModelFile;

describe('trainOnBoard returns the network it trained', () => {
  it('tap board: 1/R of each final tap, R = RMAX (RMIN/RMAX)^(t/(COUNT-1)); the spectrum follows from the result alone', async () => {
    const m = model('penn-gen1');
    const task = referenceTask({ count: 10, test: 4 });
    const board = await connectBoard('twin:penn-gen1', { ideal: true, seed: 5 });
    try {
      const r = await trainOnBoard(board, task, { steps: 40, order: 'sequential' });
      expect(r.network).toBeDefined();
      const net = r.network!;
      expect(net.nodes).toBe(m.nodes);
      expect(Array.from(net.edgeA)).toEqual(m.edges.map((e) => e[0]));
      expect(Array.from(net.edgeB)).toEqual(m.edges.map((e) => e[1]));
      const law = m.edge as { taps: number; rMin: number; rMax: number };
      r.settings.forEach((t, e) => {
        const ohm = law.rMax * (law.rMin / law.rMax) ** (t / (law.taps - 1));
        expect(r.conductances![e]).toBeCloseTo(1 / ohm, 12);
      });
      expect(net.conductance).toBe(r.conductances);
      const spectrum = physicalSpectrum(net, { task });
      // the free state's H_FF: 16 nodes minus 2 sources and 1 ground
      expect(spectrum.nodes.length).toBe(13);
      expect(spectrum.values[0]).toBeGreaterThan(0);
      expect(spectrum.converged).toBe(true);
    } finally {
      await board.close();
    }
  });

  it('gate board: s (V_G - V_T - V_mid) with both ends at the middle of the ADC range (the nominal convention)', async () => {
    const m = model('penn-gen2');
    const task = referenceTask({ count: 6, test: 2 });
    const board = await connectBoard('twin:penn-gen2', { ideal: true, seed: 5 });
    try {
      const r = await trainOnBoard(board, task, { steps: 10, order: 'sequential' });
      const law = m.edge as { s: number; vt: number };
      const mid = (m.adc.lo + m.adc.hi) / 2;
      r.settings.forEach((vg, e) => {
        const k = law.s * (vg - law.vt - mid);
        // every gate here is well above threshold (the model's node range keeps edges conducting)
        expect(k).toBeGreaterThan(0);
        expect(r.conductances![e] / k - 1).toBeLessThan(1e-9);
        expect(r.conductances![e] / k - 1).toBeGreaterThan(-1e-9);
      });
      expect(r.network!.edgeA.length).toBe(m.edges.length);
    } finally {
      await board.close();
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { listBoardModels, loadBoardModel, validateBoardModel } from '../../twins/BoardModel.js';

function invalid(f: () => unknown, field: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).field).toBe(field);
    return;
  }
  throw new Error(`expected InvalidInputError at ${field}`);
}

describe('board models', () => {
  it('ships penn-gen1: 16 nodes, a planar triangulated 4x4 lattice of 100-tap potentiometers', () => {
    expect(listBoardModels()).toEqual(expect.arrayContaining(['penn-gen1', 'penn-gen2']));
    const m = loadBoardModel('penn-gen1');
    expect(m.nodes).toBe(16);
    expect(m.edge).toMatchObject({ kind: 'tap', taps: 100, rMin: 40, rMax: 32000 });
    // 24 lattice edges + 9 diagonals; every edge joins grid neighbours (right, down, down-right)
    expect(m.edges).toHaveLength(33);
    for (const [a, b] of m.edges) expect([1, 4, 5]).toContain(b - a);
    expect(new Set(m.edges.map((e) => e.join('-'))).size).toBe(33);
  });

  it('ships penn-gen2: a 4x4 periodic lattice of 32 transistor edges', () => {
    const m = loadBoardModel('penn-gen2');
    expect(m.nodes).toBe(16);
    expect(m.edges).toHaveLength(32);
    expect(m.edge).toMatchObject({ kind: 'gate', vt: 0.62, s: 8.5e-4 });
    const degree = new Array(16).fill(0);
    for (const [a, b] of m.edges) {
      degree[a]++;
      degree[b]++;
      const [ra, ca, rb, cb] = [Math.floor(a / 4), a % 4, Math.floor(b / 4), b % 4];
      const dr = (rb - ra + 4) % 4;
      const dc = (cb - ca + 4) % 4;
      expect((dr === 0 && dc === 1) || (dr === 1 && dc === 0)).toBe(true);
    }
    expect(degree).toEqual(new Array(16).fill(4));
  });

  it('loads by path and rejects bad files naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-board-'));
    const good = loadBoardModel('penn-gen1');
    const path = join(dir, 'b.json');
    writeFileSync(path, JSON.stringify({ ...good, name: 'custom' }));
    expect(loadBoardModel(path).name).toBe('custom');
    invalid(() => loadBoardModel('no-such-board'), 'name');
    const bad = (patch: object): unknown => ({ ...good, ...patch });
    invalid(() => validateBoardModel(bad({ format: 'clln.network/1' })), 'format');
    invalid(() => validateBoardModel(bad({ nodes: 0 })), 'nodes');
    invalid(() => validateBoardModel(bad({ edges: [[0, 16]] })), 'edges[0][1]');
    invalid(() => validateBoardModel(bad({ edges: [[3, 3]] })), 'edges[0]');
    invalid(() => validateBoardModel(bad({ drivable: [0, 0] })), 'drivable[1]');
    invalid(() => validateBoardModel(bad({ adc: { bits: 0, lo: 0, hi: 5, noise: 0 } })), 'adc.bits');
    invalid(() => validateBoardModel(bad({ adc: { bits: 12, lo: 5, hi: 5, noise: 0 } })), 'adc.hi');
    invalid(() => validateBoardModel(bad({ dac: { lo: 0, hi: 5, gainSpread: -1, offsetSpread: 0 } })), 'dac.gainSpread');
    invalid(() => validateBoardModel(bad({ edge: { ...good.edge, rMax: 10 } })), 'edge.rMax');
    invalid(() => validateBoardModel(bad({ edge: { ...good.edge, powerOn: 100 } })), 'edge.powerOn');
    invalid(() => validateBoardModel(bad({ edge: { kind: 'memristor' } })), 'edge.kind');
    invalid(() => validateBoardModel(bad({ edge: { kind: 'gate', lo: 0, hi: 5, vt: 0.6, s: 0, tolerance: 0, powerOn: 1 } })), 'edge.s');
    invalid(() => validateBoardModel(bad({ name: 'has space' })), 'name');
    invalid(() => validateBoardModel(bad({ drfit: 0.1 })), 'drfit');
    invalid(() => validateBoardModel(bad({ positions: [[0, 0]] })), 'positions');
    // step limits (PROTOCOL.md ID eta=, amp=, gstep=, sched=)
    const gate = loadBoardModel('penn-gen2');
    invalid(() => validateBoardModel(bad({ step: { eta: [0, 1] } })), 'step.eta[0]');
    invalid(() => validateBoardModel(bad({ step: { eta: [0.5, 0.1] } })), 'step.eta');
    invalid(() => validateBoardModel(bad({ step: { eta: [0.1, 2] } })), 'step.eta[1]');
    invalid(() => validateBoardModel(bad({ step: { amp: [0, 1] } })), 'step.amp'); // a tap board has no amp
    invalid(() => validateBoardModel(bad({ step: { maxExamples: 0 } })), 'step.maxExamples');
    invalid(() => validateBoardModel({ ...gate, step: { amp: [0, 1e4] } }), 'step.amp[1]');
    invalid(() => validateBoardModel({ ...gate, step: { maxGateStep: 0 } }), 'step.maxGateStep');
    expect(validateBoardModel({ ...gate, step: { eta: [0.01, 0.5], amp: [0, 5], maxGateStep: 0.2, maxExamples: 64 } }).step).toEqual({ eta: [0.01, 0.5], amp: [0, 5], maxGateStep: 0.2, maxExamples: 64 });
  });
});

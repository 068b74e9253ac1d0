/**
 * The task `clln tui` trains without NETWORK TASK (src/tui/defaultTask.ts): the reference task where the board can
 * play its roles, else the same map on the board's own drive and clamp channels. The roles of clln-ref16 come from
 * HARDWARE.md (drive 0..3, clamp 12..15), those of penn-gen1 from its shipped model (every node both).
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { boardNominals } from '../../src/pipeline/boardModels.js';
import { boardDefaultTask } from '../../src/tui/defaultTask.js';

const REF16 = { model: 'clln-ref16', drivable: [0, 1, 2, 3], clampable: [12, 13, 14, 15] };

describe('the tui default task', () => {
  it('penn-gen1 (every node drivable and clampable) keeps the reference task: sources 0,3, ground 15, targets 9,10', () => {
    const n = boardNominals('penn-gen1');
    const { task, description } = boardDefaultTask({ model: 'penn-gen1', drivable: n.drivable, clampable: n.clampable });
    expect(Array.from(task.sources)).toEqual([0, 3]);
    expect(Array.from(task.ground)).toEqual([15]);
    expect(Array.from(task.targets)).toEqual([9, 10]);
    expect(task).toEqual(referenceTask());
    expect(description).toMatch(/reference task/);
  });

  it('clln-ref16: sources and ground among drive nodes 0..3, targets among clamp nodes 12..15, the same map', () => {
    const { task, description } = boardDefaultTask(REF16);
    expect(Array.from(task.sources)).toEqual([0, 3]);
    expect(Array.from(task.ground)).toEqual([1]);
    expect(Array.from(task.targets)).toEqual([13, 14]);
    for (const n of [...task.sources, ...task.ground]) expect(REF16.drivable).toContain(n);
    for (const n of task.targets) expect(REF16.clampable).toContain(n);
    expect(description).toContain('sources 0,3, ground 1, targets 13,14');
    expect(task.train).toHaveLength(40);
    expect(task.test).toHaveLength(20);
    // V_T1 = 0.15 V_S1 + 0.3 V_S2, V_T2 = 0.2 V_S1 + 0.1 V_S2 (the reference task's map), by hand
    for (const ex of [...task.train, ...task.test]) {
      expect(ex.out[0]).toBeCloseTo(0.15 * ex.in[0] + 0.3 * ex.in[1], 12);
      expect(ex.out[1]).toBeCloseTo(0.2 * ex.in[0] + 0.1 * ex.in[1], 12);
    }
  });

  it("the shipped clln-ref16 model's roles are HARDWARE.md's", () => {
    const n = boardNominals('clln-ref16');
    expect([...n.drivable]).toEqual(REF16.drivable);
    expect([...n.clampable]).toEqual(REF16.clampable);
  });

  it('a board with too few drive or clamp nodes is bad input asking for NETWORK TASK', () => {
    expect(() => boardDefaultTask({ model: 'tiny', drivable: [0, 1], clampable: [5, 6] })).toThrow(InvalidInputError);
    expect(() => boardDefaultTask({ model: 'tiny', drivable: [0, 1], clampable: [5, 6] })).toThrow(/drives 2 node\(s\).*NETWORK TASK/);
    // clamp nodes that are all taken by the sources and ground leave no target
    expect(() => boardDefaultTask({ model: 'tiny', drivable: [0, 1, 2], clampable: [0, 1, 2, 7] })).toThrow(/clamps 1 node\(s\) besides/);
  });
});

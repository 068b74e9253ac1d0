import type { BoardIdentity } from '../../src/device/Board.js';
import type { DashboardSetup } from '../../src/tui/state/types.js';

/** A small three-node board. */
export const setup: DashboardSetup = {
  port: 'pty',
  title: 'test run',
  steps: 100,
  edgeKind: 'tap',
  settingRange: [0, 127],
  edgeA: Int32Array.of(0, 1),
  edgeB: Int32Array.of(1, 2),
  sources: [0],
  ground: [2],
  targets: [1],
  positions: null,
};

export function identity(over: Partial<BoardIdentity> = {}): BoardIdentity {
  return {
    protocol: '1.1',
    firmware: '1.2.3',
    model: 'penn-gen1',
    uid: 'abcd',
    bootCount: 1,
    nodes: 3,
    edges: [
      [0, 1],
      [1, 2],
    ],
    drivable: [0, 2],
    clampable: [1],
    adc: { bits: 12, lo: 0, hi: 3.3 },
    dac: { lo: 0, hi: 3.3 },
    edge: { kind: 'tap', taps: 128 },
    maxSampleRate: 1000,
    limits: { eta: { lo: 1e-6, hi: 1 }, maxExamples: 65535 },
    ...over,
  };
}

/**
 * Freeze plain objects and arrays all the way down (typed arrays cannot be frozen, so those are left), so that a
 * reducer writing into its input throws (modules are strict).
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

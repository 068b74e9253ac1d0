/** The {@link TwoTerminalLaw} of an {@link EdgeElement} (or of a linear edge: null and its conductance). */
import { InvalidInputError, show } from '../../errors.js';
import { DEFAULT_GATE_CUTOFF } from '../edgeLaws.js';
import { DiodeLaw } from './diode.js';
import { type EdgeElement, THERMAL_VOLTAGE } from './EdgeElement.js';
import { TableLaw } from './tableLaw.js';
import { TransistorLaw } from './transistorLaw.js';
import { ResistorLaw, type TwoTerminalLaw } from './TwoTerminalLaw.js';

/**
 * Per-edge modifiers of {@link elementLaw}: what the twin's fault knobs do to a healthy edge (twins/TwinBoardCore.ts:
 * an open edge keeps a tiny fraction of its current, a shorted one is a fixed resistor whatever its setting).
 */
export interface ElementLawOptions {
  /**
   * Factor (> 0, dimensionless) on the element's current at every voltage. Default 1. It is written into the law's
   * own parameters, which is exact for every kind: a resistor's k, a transistor's s (its leak, a fraction of s,
   * follows), a table's currents, and a diode's saturation current with its series resistance divided by the factor
   * (`c I(x)` is the diode `(c is, n, rs / c)` at the same x).
   */
  scale?: number;
  /** Conductance (S, > 0) that replaces the element by a linear resistor when finite. Default none (NaN). */
  fixed?: number;
}

/**
 * The law of one edge.
 * @param element the edge's element, or null for a linear resistor
 * @param conductance the edge's `conductance` entry (S), used when `element` is null
 * @param options fault modifiers (scale, fixed conductance); none by default
 */
export function elementLaw(element: EdgeElement | null | undefined, conductance: number, options: ElementLawOptions = {}): TwoTerminalLaw {
  const { scale = 1, fixed = NaN } = options;
  if (Number.isFinite(fixed)) {
    if (!(fixed > 0)) throw new InvalidInputError({ field: 'fixed' }, `must be a positive conductance (S), got ${show(fixed)}`);
    return new ResistorLaw(fixed);
  }
  if (!(Number.isFinite(scale) && scale > 0)) throw new InvalidInputError({ field: 'scale' }, `must be a positive finite factor, got ${show(scale)}`);
  if (!element) return new ResistorLaw(scale * conductance);
  switch (element.kind) {
    case 'resistor':
      return new ResistorLaw(scale * element.k);
    case 'diode':
      return new DiodeLaw(scale * element.is, element.n, (element.rs ?? 0) / scale, THERMAL_VOLTAGE);
    case 'transistor':
      return new TransistorLaw(scale * element.s, element.vt, element.vg, element.saturation === 'square', element.cutoff ?? DEFAULT_GATE_CUTOFF);
    case 'table':
      return new TableLaw(element.v, scale === 1 ? element.i : element.i.map((i) => scale * i));
  }
}

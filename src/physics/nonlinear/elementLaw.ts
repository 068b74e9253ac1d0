/** The {@link TwoTerminalLaw} of an {@link EdgeElement} (or of a linear edge: null and its conductance). */
import { DEFAULT_GATE_CUTOFF } from '../edgeLaws.js';
import { DiodeLaw } from './diode.js';
import { type EdgeElement, THERMAL_VOLTAGE } from './EdgeElement.js';
import { TableLaw } from './tableLaw.js';
import { TransistorLaw } from './transistorLaw.js';
import { ResistorLaw, type TwoTerminalLaw } from './TwoTerminalLaw.js';

/**
 * The law of one edge.
 * @param element the edge's element, or null for a linear resistor
 * @param conductance the edge's `conductance` entry (S), used when `element` is null
 */
export function elementLaw(element: EdgeElement | null | undefined, conductance: number): TwoTerminalLaw {
  if (!element) return new ResistorLaw(conductance);
  switch (element.kind) {
    case 'resistor':
      return new ResistorLaw(element.k);
    case 'diode':
      return new DiodeLaw(element.is, element.n, element.rs ?? 0, THERMAL_VOLTAGE);
    case 'transistor':
      return new TransistorLaw(element.s, element.vt, element.vg, element.saturation === 'square', element.cutoff ?? DEFAULT_GATE_CUTOFF);
    case 'table':
      return new TableLaw(element.v, element.i);
  }
}

import type { SolveDiagnostics } from './LaplacianSystem.js';

/** Which physical state a set of node voltages is (docs/design.md, "The physics"). */
export type StateKind = 'free' | 'clamped' | 'nudged';

/** Node voltages of one physical state, with how they were obtained. */
export interface CircuitState {
  kind: StateKind;
  /** Node voltages in volts, length N. */
  voltages: Float64Array;
  /** Solver diagnostics; for derived states the worst of the solves involved. */
  diagnostics: SolveDiagnostics;
  /** For nudged states, the nudge conductance in siemens (+beta or -beta); for clamped states, eta. */
  strength?: number;
}

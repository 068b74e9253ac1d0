/**
 * Twins with hidden imperfections for the calibration tests: per-edge tolerance 20 % (relative std; the classic
 * digital-potentiometer spec is +-20 %), per-channel ADC gain (1 %) and offset (3 mV) errors, the model's ADC noise
 * (2 mV per sample on penn-gen1) and DAC errors, no drift unless asked.
 */
import { loadBoardModel, type BoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';

export interface FlawedTwin {
  model: BoardModel;
  core: TwinBoardCore;
  board: InProcessTwinBoard;
}

export function flawedModel(name = 'penn-gen1', over: { drift?: number; offsetSpread?: number } = {}): BoardModel {
  const m = loadBoardModel(name);
  m.edge.tolerance = 0.2;
  m.adc.gainSpread = 0.01;
  m.adc.offsetSpread = over.offsetSpread ?? 0.003;
  m.drift = over.drift ?? 0;
  return m;
}

export function flawedTwin(name = 'penn-gen1', seed = 3, over: { drift?: number; offsetSpread?: number } = {}): FlawedTwin {
  const model = flawedModel(name, over);
  const core = new TwinBoardCore(model, { seed });
  return { model, core, board: new InProcessTwinBoard(core) };
}

/** True conductance (S) of tap edge e at tap t on a twin (nominal law x the hidden factor). */
export function trueTapConductance(model: BoardModel, factor: number, t: number): number {
  if (model.edge.kind !== 'tap') throw new Error('not a tap model');
  const { rMax, rMin, taps } = model.edge;
  return factor / (rMax * Math.pow(rMin / rMax, t / (taps - 1)));
}

/**
 * True conductance (S) of edge e at tap t on a linear-taper twin: its own ends (TwinBoardCore.trueLinearEdges, the
 * hidden RAB of each pot) on the linear law `1 / (rMax_e - (rMax_e - rMin_e) t / (taps - 1))`, written out here.
 */
export function trueLinearConductance(core: TwinBoardCore, e: number, t: number): number {
  const m = core.model.edge;
  const ends = core.trueLinearEdges();
  if (m.kind !== 'tap' || !ends) throw new Error('not a linear-taper tap model');
  const { rMin, rMax } = ends[e];
  return core.trueEdgeFactors()[e] / (rMax - ((rMax - rMin) * t) / (m.taps - 1));
}

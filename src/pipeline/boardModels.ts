/**
 * What the host knows about a board from the shipped board models (twins/models/*.json) and `clln.board/1` files:
 * the nominal edge law, converter noise and spreads, the board's own network. The one place outside the twin-starting
 * code that reads twins/ (see test/imports.test.ts): once a board reports its edge law in `ID` and `clln.board/1` has
 * its reader in src/formats (issue 12, point 2), this module is replaced there, in one place.
 */
import type { Network } from '../physics/Network.js';
import type { ConductanceModel } from '../diagnostics/conductanceModel.js';
import { listBoardModels as listShipped, loadBoardModel, type EdgeModel } from '../../twins/BoardModel.js';
import { boardNetwork, nominalConductance } from '../../twins/boardNetwork.js';

/** The edge law of a board model as its file gives it: tap (taps, rMin, rMax ohm) or gate (lo, hi, vt V, s S/V), with the per-edge tolerance (relative std) and power-on setting. */
export type NominalEdgeModel = EdgeModel;

/** The nominal (uncalibrated) facts of a board model that the host uses. */
export interface BoardNominals {
  /** Model name (the `board=` of its ID). */
  name: string;
  nodes: number;
  /** Edge e joins edges[e][0] and edges[e][1]. */
  edges: readonly (readonly [number, number])[];
  /** The nominal edge law (also a ConductanceModel), with its per-edge tolerance. */
  edge: NominalEdgeModel;
  /** ADC noise per sample, V rms. */
  adcNoise: number;
  /** DAC per-channel gain error (relative std) and offset (V std). */
  dacGainSpread: number;
  dacOffsetSpread: number;
}

/** Names of the shipped board models. */
export function listBoardModels(): string[] {
  return listShipped();
}

/** Whether `model` names a shipped board model. */
export function isShippedModel(model: string): boolean {
  return listShipped().includes(model);
}

/**
 * The nominal facts of a board model, by name (a shipped model) or path (a `clln.board/1` file); InvalidInputError
 * naming the file and field when it cannot be read.
 */
export function boardNominals(nameOrFile: string): BoardNominals {
  const m = loadBoardModel(nameOrFile);
  return { name: m.name, nodes: m.nodes, edges: m.edges, edge: m.edge, adcNoise: m.adc.noise, dacGainSpread: m.dac.gainSpread, dacOffsetSpread: m.dac.offsetSpread };
}

/** The nominal facts of a shipped model; undefined for any other board (hardware of an unknown model). */
export function shippedNominals(model: string): BoardNominals | undefined {
  return isShippedModel(model) ? boardNominals(model) : undefined;
}

/** The nominal edge law of a shipped model (for the plausibility of calibration records, run snapshots); undefined otherwise. */
export function nominalEdgeLaw(model: string): ConductanceModel | undefined {
  return shippedNominals(model)?.edge;
}

/**
 * The network of a board model (by name or `clln.board/1` file): its topology, positions and every edge at its
 * power-on setting's nominal conductance (S), with the tap table of tap boards.
 */
export function boardModelNetwork(nameOrFile: string): Network {
  return boardNetwork(loadBoardModel(nameOrFile));
}

/**
 * Nominal conductances (S) of edge settings on a shipped model (tap edges 1/R of the tap; gate edges s (V_G - V_T)
 * with both ends at 0 V, floored at 0); null when the model is not shipped.
 */
export function nominalConductances(model: string, settings: ArrayLike<number>): number[] | null {
  if (!isShippedModel(model)) return null;
  const m = loadBoardModel(model);
  return Array.from(settings, (s) => nominalConductance(m, s));
}

/**
 * What the host may take from the shipped board models (twins/models/*.json, the twins' own descriptions) and from
 * `clln.board/1` files: converter noise and spreads, per-edge tolerance, the board's network with its layout. A
 * connected board's edge LAW never comes from here: it comes from its `ID` or a `--board-file`
 * (src/pipeline/boardEdgeLaw.ts). The shipped models serve as defaults for what `ID` does not report (noise,
 * tolerances, positions), for `clln network board MODEL`, and for the law of run records written before protocol 1.2
 * ({@link nominalEdgeLaw}). The one place outside the twin-starting code that reads twins/ (test/imports.test.ts).
 */
import type { Network } from '../physics/Network.js';
import type { BoardModel, EdgeModel } from '../formats/boardFile.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { listBoardModels as listShipped, loadBoardModel } from '../../twins/BoardModel.js';
import { boardNetwork } from '../../twins/boardNetwork.js';

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
  /** Nodes that can be driven (sources, ground) and clamped: what the board's ID says as `drive=` and `clamp=`. */
  drivable: readonly number[];
  clampable: readonly number[];
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
  return nominalsOf(loadBoardModel(nameOrFile));
}

/** The nominal facts of a board description already read (e.g. a `--board-file`). */
export function nominalsOf(m: BoardModel): BoardNominals {
  return { name: m.name, nodes: m.nodes, edges: m.edges, edge: m.edge, adcNoise: m.adc.noise, dacGainSpread: m.dac.gainSpread, dacOffsetSpread: m.dac.offsetSpread, drivable: m.drivable, clampable: m.clampable };
}

/** The nominal facts of a shipped model; undefined for any other board (hardware of an unknown model). */
export function shippedNominals(model: string): BoardNominals | undefined {
  return isShippedModel(model) ? boardNominals(model) : undefined;
}

/**
 * The nominal edge law of a shipped model, by name; undefined otherwise. Only for records that carry no law of their
 * own (run records and calibrations written before protocol 1.2); a connected board's law is its ID's or its board
 * file's (boardEdgeLaw.ts).
 */
export function nominalEdgeLaw(model: string): EdgeLaw | undefined {
  return shippedNominals(model)?.edge;
}

/**
 * The network of a board model (by name or `clln.board/1` file): its topology, positions and every edge at its
 * power-on setting's nominal conductance (S), with the tap table of tap boards.
 */
export function boardModelNetwork(nameOrFile: string): Network {
  return boardNetwork(loadBoardModel(nameOrFile));
}

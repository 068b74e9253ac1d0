import type { Network } from '../src/physics/Network.js';
import type { BoardModel } from './BoardModel.js';
import { tapConductance } from './TwinBoardCore.js';

/**
 * Nominal conductance (S) of an edge setting: for a tap edge 1/R of the tap; for a gate edge s (V_G - V_T) at zero
 * mean channel voltage (the Ohmic law's value with both ends at 0 V), floored at 0. Per-edge tolerances and drift
 * are not included — that is what calibration (issue 5) fits.
 */
export function nominalConductance(model: BoardModel, setting: number): number {
  const e = model.edge;
  return e.kind === 'tap' ? tapConductance(e, setting) : Math.max(0, e.s * (setting - e.vt));
}

/** The board's network with every edge at its power-on setting, nominal conductances, as a clln.network/1 value. */
export function boardNetwork(model: BoardModel): Network {
  const e = model.edge;
  const k0 = nominalConductance(model, e.powerOn);
  const lo = e.kind === 'tap' ? nominalConductance(model, 0) : 1e-12;
  const hi = e.kind === 'tap' ? nominalConductance(model, e.taps - 1) : nominalConductance(model, e.hi);
  const net: Network = {
    name: model.name,
    nodes: model.nodes,
    edgeA: Int32Array.from(model.edges, (x) => x[0]),
    edgeB: Int32Array.from(model.edges, (x) => x[1]),
    conductance: new Float64Array(model.edges.length).fill(k0),
    bounds: [Math.min(lo, k0), Math.max(hi, k0)],
  };
  if (model.positions) net.positions = Float64Array.from(model.positions.flat());
  if (e.kind === 'tap') net.taps = Float64Array.from({ length: e.taps }, (_, t) => nominalConductance(model, t));
  return net;
}

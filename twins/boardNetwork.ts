import type { Network } from '../src/physics/Network.js';
import { gateFloor, nominalConductance, referenceVoltage } from '../src/physics/edgeLaws.js';
import { boardLaw, type BoardModel } from '../src/formats/boardFile.js';

/**
 * The board's network with every edge at its power-on setting, as a clln.network/1 value. Conductances follow the
 * nominal convention of src/physics/edgeLaws.ts (gate edges with every node at the middle of the ADC range, floored
 * at the cut-off); per-edge tolerances and drift are not included — that is what calibration fits. Bounds: the law's
 * lowest and highest conductance (tap 0 and the top tap; the cut-off floor and the top of the gate range).
 */
export function boardNetwork(model: BoardModel): Network {
  const e = model.edge;
  const law = boardLaw(model);
  const vRef = referenceVoltage(model.adc);
  const k = (setting: number): number => nominalConductance(law, setting, vRef);
  const k0 = k(e.powerOn);
  const lo = e.kind === 'tap' ? k(0) : gateFloor({ s: e.s });
  const hi = e.kind === 'tap' ? k(e.taps - 1) : k(e.hi);
  const net: Network = {
    name: model.name,
    nodes: model.nodes,
    edgeA: Int32Array.from(model.edges, (x) => x[0]),
    edgeB: Int32Array.from(model.edges, (x) => x[1]),
    conductance: new Float64Array(model.edges.length).fill(k0),
    bounds: [Math.min(lo, k0), Math.max(hi, k0)],
  };
  if (model.positions) net.positions = Float64Array.from(model.positions.flat());
  if (e.kind === 'tap') net.taps = Float64Array.from({ length: e.taps }, (_, t) => k(t));
  return net;
}

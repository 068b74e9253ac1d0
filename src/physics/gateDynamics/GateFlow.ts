import { InvalidInputError, NumericalError } from '../../errors.js';
import { edgeDrops } from '../edgeDrops.js';
import { gateConductance, gateEdgeElement, gateFloor } from '../edgeLaws.js';
import { LaplacianSystem } from '../LaplacianSystem.js';
import type { Network } from '../Network.js';
import type { EdgeElement } from '../nonlinear/EdgeElement.js';
import { solveNonlinearCircuit } from '../nonlinear/solveNonlinearCircuit.js';
import { checkGateNetwork, type GateNetwork, type GateTask } from './GateNetwork.js';

/**
 * Voltage scale of the authors' rate law (V): the gate capacitor charges through R from a drive proportional to the
 * squared drops, normalised by 0.33 V (arXiv 2505.22887, notebook `gamma = 1/(R C 0.33 S)`).
 */
export const KAPPA_VOLT_SCALE = 0.33;

/** kappa = r / (0.33 V * R C), in 1/(V s): gate velocity per squared volt of drop contrast. */
export function learningRateKappa(r: number, rc: number): number {
  return r / (KAPPA_VOLT_SCALE * rc);
}

/** Parameters of the analog learning: the dimensionless rate r, the R C time (s) and each gate's bias (V/s). */
export interface GateFlowParams {
  /** Dimensionless rate prefactor r (the authors use 2 on the small network). */
  r: number;
  /** Charging time constant R C in seconds. */
  rc: number;
  /** Learning bias b_e per gate edge in V/s (order of gateEdges). */
  bias: ArrayLike<number>;
}

/**
 * The analog gate dynamics of one task with full clamping (eta = 1):
 * `dG_e/dt = kappa [ (dV_e^F)^2 - (dV_e^C)^2 ] + b_e`, gates clipped at their rails (the velocity is zeroed where a
 * gate sits on a rail and would leave it). The free state (input imposed, output free) is solved by the project's
 * LaplacianSystem at the present gate conductances `k = S (G - V_T)` (edgeLaws.gateConductance with no channel mean);
 * the clamped state holds the output at the desired value too.
 */
export class GateFlow {
  readonly gates: number;
  readonly kappa: number;
  readonly bias: Float64Array;
  /** Right-hand-side evaluations so far (each is one free solve, plus one clamped solve if that state has free nodes). */
  evaluations = 0;
  private readonly free: LaplacianSystem;
  private readonly clamped: LaplacianSystem | null;
  private readonly freeValues: Float64Array;
  private readonly clampValues: Float64Array;
  private readonly k: Float64Array;
  private readonly v: Float64Array;
  private readonly vc: Float64Array;
  private readonly drops: Float64Array;
  private readonly dropsC: Float64Array;
  private readonly floor: number;

  constructor(
    readonly network: GateNetwork,
    readonly task: GateTask,
    params: GateFlowParams,
  ) {
    checkGateNetwork(network);
    const { net, held, inputNode, outputNode, gateEdges } = network;
    if (params.bias.length !== gateEdges.length) {
      throw new InvalidInputError({ field: 'bias' }, `expected ${gateEdges.length} biases (V/s), got ${params.bias.length}`, 'give one per gate edge');
    }
    if (!(params.r > 0) || !(params.rc > 0)) throw new InvalidInputError({ field: 'r/rc' }, 'must be positive', 'use r = 2, rc = 2.2e-3 s');
    this.gates = gateEdges.length;
    this.kappa = learningRateKappa(params.r, params.rc);
    this.bias = Float64Array.from(params.bias);
    const heldNodes = [...held.keys()];
    const freeImposed = Int32Array.from([...heldNodes, inputNode]);
    this.freeValues = Float64Array.from([...held.values(), task.input]);
    const clampImposed = Int32Array.from([...heldNodes, inputNode, outputNode]);
    this.clampValues = Float64Array.from([...held.values(), task.input, task.desired]);
    this.free = new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, freeImposed);
    // With every node imposed the clamped state needs no solve (the small network); otherwise one more system.
    this.clamped = clampImposed.length < net.nodes ? new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, clampImposed) : null;
    this.k = Float64Array.from(net.conductance);
    this.v = new Float64Array(net.nodes);
    this.vc = new Float64Array(net.nodes);
    for (let i = 0; i < clampImposed.length; i++) this.vc[clampImposed[i]] = this.clampValues[i];
    this.drops = new Float64Array(net.edgeA.length);
    this.dropsC = new Float64Array(net.edgeA.length);
    this.floor = gateFloor({ s: network.s });
    if (!this.clamped) edgeDrops(net.edgeA, net.edgeB, this.vc, this.dropsC);
  }

  /** Edge conductances (S) at gate voltages G (V); a view reused between calls. */
  conductances(g: ArrayLike<number>): Float64Array {
    const { gateEdges, s, vt } = this.network;
    for (let j = 0; j < gateEdges.length; j++) this.k[gateEdges[j]] = gateConductance(s, g[j], vt, 0, this.floor);
    return this.k;
  }

  /** Free-state node voltages (V) at gates G; a view reused between calls. */
  freeVoltages(g: ArrayLike<number>): Float64Array {
    this.free.setConductance(this.conductances(g));
    this.free.solve(this.freeValues, undefined, this.v);
    if (this.network.gateLaw === 'channelMean') this.solveChannelMean(g);
    return this.v;
  }

  /** Largest Kirchhoff residual (A) of the nonlinear free states solved so far (channelMean law only). */
  worstResidual = 0;

  /** The free state with the twin's Ohmic law, from the analysis law's state as the start (in this.v). */
  private solveChannelMean(g: ArrayLike<number>): void {
    const { net, gateEdges, s, vt, held, inputNode } = this.network;
    const elements: (EdgeElement | null)[] = new Array<EdgeElement | null>(net.edgeA.length).fill(null);
    for (let j = 0; j < gateEdges.length; j++) elements[gateEdges[j]] = gateEdgeElement(s, vt, g[j], this.floor);
    const withElements: Network = { ...net, conductance: this.k, elements };
    const fixed = new Map(held);
    fixed.set(inputNode, this.task.input);
    const sol = solveNonlinearCircuit(withElements, fixed, { start: this.v });
    if (!sol.converged) throw new NumericalError(`GateFlow: the nonlinear free state did not converge (residual ${sol.residual} A)`);
    this.worstResidual = Math.max(this.worstResidual, sol.residual);
    this.v.set(sol.voltages);
  }

  /** Free-state output voltage (V) at gates G. */
  output(g: ArrayLike<number>): number {
    return this.freeVoltages(g)[this.network.outputNode];
  }

  /** Squared output error (V^2) of this task at gates G. */
  squaredError(g: ArrayLike<number>): number {
    const e = this.output(g) - this.task.desired;
    return e * e;
  }

  /**
   * dG/dt (V/s) at gates G into `out`, without rails (`clip = false`) or with the rail rule (default).
   */
  derivative(g: ArrayLike<number>, out: Float64Array, clip = true): Float64Array {
    const { net, gateEdges, rails } = this.network;
    this.evaluations++;
    this.freeVoltages(g);
    edgeDrops(net.edgeA, net.edgeB, this.v, this.drops);
    if (this.clamped) {
      this.clamped.setConductance(this.k);
      this.clamped.solve(this.clampValues, undefined, this.vc);
      edgeDrops(net.edgeA, net.edgeB, this.vc, this.dropsC);
    }
    for (let j = 0; j < gateEdges.length; j++) {
      const e = gateEdges[j];
      let d = this.kappa * (this.drops[e] * this.drops[e] - this.dropsC[e] * this.dropsC[e]) + this.bias[j];
      if (clip) {
        const [lo, hi] = rails[j];
        if ((g[j] >= hi && d > 0) || (g[j] <= lo && d < 0)) d = 0;
      }
      out[j] = d;
    }
    return out;
  }
}

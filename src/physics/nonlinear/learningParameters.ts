/**
 * The learning parameter of each nonlinear edge, its learning signal and the sensitivities the exact gradient needs.
 *
 * **Which parameter** (issue 14 point 3):
 * - linear edge (`null`) and `resistor`: the conductance k (S), as on linear networks;
 * - `transistor`: the gate voltage V_G (V), the gen-2 boards' degree of freedom (the gate capacitor holds it);
 * - `diode` and `table`: **none**. A diode's saturation current and ideality are fixed by its junction, and a table is
 *   a measured part: no board adjusts either in place, so they are fixed nonlinear elements that shape the response
 *   while the resistors and transistors around them learn. Their entry in the parameter vector is the edge's
 *   `conductance` (unused by their laws) and is never changed.
 *
 * **Learning signal** `sigma_e = 2 dp_e/dtheta_e` (rules/EdgeSignals.ts) of the co-content `p_e`, at a state's voltages
 * with the transistor's gate-referenced form taken at that state's own edge mean `m = (V_a + V_b)/2` (where the form
 * equals the exact law; README "The transistor is not a gradient field"), `x = V_a - V_b`, `c = V_G - V_T - m`:
 * - conductance: `p = k x^2/2`, `sigma = x^2` (V^2);
 * - transistor, Ohmic: `p = max(g_off, s c) x^2/2`, so `sigma = s x^2` while conducting (`s c > g_off`), 0 in cut-off
 *   (the leak does not depend on V_G) (A: S/V times V^2);
 * - transistor, square-law saturation: `p = (s/3)((c + x/2)+^3 + (c - x/2)+^3 - 2 c+^3) + g_off x^2/2`, so
 *   `sigma = 2 s ((c + x/2)+^2 + (c - x/2)+^2 - 2 c+^2)`, which is `s x^2` while neither end is pinched off.
 * So CL on a transistor edge is `V_G <- clip(V_G + alpha/(2 eta) s [(x^F)^2 - (x^C)^2])`: the linear update of
 * `k = s (V_G - V_T - m)` scaled by dk/dV_G = s. Units: the signal is in A (S/V times V^2), so on gate edges alpha
 * (one number for the whole network) is read in V/A = ohm, where on conductances it is S/V^2.
 *
 * **Sensitivities** for the adjoint gradient (cost.ts nonlinearCostGradient): the exact law's partial derivatives
 * `dI/dV_a`, `dI/dV_b` (S; for a two-terminal law `g` and `-g`, for the transistor the mean term makes them differ) and
 * `dI/dtheta` (`x` for a conductance; `s x` Ohmic or `s (q_b+ - q_a+)` saturated for a gate, `q = V_G - V_T - V`).
 */
import { DEFAULT_GATE_CUTOFF } from '../edgeLaws.js';
import type { Network } from '../Network.js';
import type { EdgeSignals } from '../rules/EdgeSignals.js';
import type { EdgeElement } from './EdgeElement.js';
import { elementLaw } from './elementLaw.js';
import type { TwoTerminalLaw } from './TwoTerminalLaw.js';

/** What an edge learns: its conductance (S), its gate voltage (V), or nothing. */
export type ParameterKind = 'conductance' | 'gate' | 'none';

/** Whether a network has any nonlinear element (an `elements` entry that is not null). */
export function isNonlinear(net: Pick<Network, 'elements'>): boolean {
  return net.elements?.some((el) => el !== null && el !== undefined) ?? false;
}

/** The parameter kind of one edge's element. */
export function parameterKind(el: EdgeElement | null | undefined): ParameterKind {
  if (!el || el.kind === 'resistor') return 'conductance';
  if (el.kind === 'transistor') return 'gate';
  return 'none';
}

/** The initial parameter vector: k (S) of linear edges and resistors, V_G (V) of transistors, `conductance` otherwise. */
export function initialParameters(net: Network): Float64Array {
  const theta = Float64Array.from(net.conductance);
  net.elements?.forEach((el, e) => {
    if (el?.kind === 'resistor') theta[e] = el.k;
    else if (el?.kind === 'transistor') theta[e] = el.vg;
  });
  return theta;
}

/** The element of edge e with its parameter set to theta_e (a fresh object; diodes and tables as they are). */
function elementWith(el: EdgeElement | null | undefined, theta: number): EdgeElement | null {
  if (!el) return null;
  if (el.kind === 'resistor') return { ...el, k: theta };
  if (el.kind === 'transistor') return { ...el, vg: theta };
  return el;
}

/** A copy of the network with parameters `theta` written back (conductances of linear edges, k, V_G). */
export function withParameters(net: Network, theta: Float64Array): Network {
  const conductance = Float64Array.from(net.conductance);
  const elements = net.elements?.map((el, e) => elementWith(el, theta[e]));
  net.edgeA.forEach((_, e) => {
    if (!net.elements?.[e]) conductance[e] = theta[e];
  });
  return elements ? { ...net, conductance, elements } : { ...net, conductance };
}

/** Each edge's law at parameters `theta`. */
export function lawsAt(net: Network, theta: Float64Array): TwoTerminalLaw[] {
  return Array.from(net.conductance, (k, e) => {
    const el = net.elements?.[e];
    return el ? elementLaw(elementWith(el, theta[e]), k) : elementLaw(null, theta[e]);
  });
}

/**
 * The learning signals of a nonlinear network (rules/EdgeSignals.ts). Reads `theta` (the trainer's parameter array)
 * live, so one object serves a whole run.
 * @param kBounds bounds of conductance parameters (S)
 * @param gateBounds bounds of gate voltages (V)
 */
export function nonlinearSignals(net: Network, theta: Float64Array, kBounds: [number, number], gateBounds: [number, number]): EdgeSignals {
  const { edgeA, edgeB } = net;
  const kinds = Array.from(net.conductance, (_, e) => parameterKind(net.elements?.[e]));
  const el = (e: number) => net.elements![e] as Extract<EdgeElement, { kind: 'transistor' }>;
  return {
    signal(e: number, v: Float64Array): number {
      const va = v[edgeA[e]];
      const vb = v[edgeB[e]];
      if (kinds[e] === 'conductance') {
        const d = vb - va;
        return d * d;
      }
      if (kinds[e] === 'none') return 0;
      const t = el(e);
      const x = va - vb;
      const c = theta[e] - t.vt - 0.5 * (va + vb);
      if (t.saturation !== 'square') return t.s * c > (t.cutoff ?? DEFAULT_GATE_CUTOFF) * t.s ? t.s * x * x : 0;
      const hi = Math.max(0, c + 0.5 * x);
      const lo = Math.max(0, c - 0.5 * x);
      const mid = Math.max(0, c);
      return 2 * t.s * (hi * hi + lo * lo - 2 * mid * mid);
    },
    learns: (e) => kinds[e] !== 'none',
    lower: (e) => (kinds[e] === 'gate' ? gateBounds[0] : kBounds[0]),
    upper: (e) => (kinds[e] === 'gate' ? gateBounds[1] : kBounds[1]),
  };
}

/** Partial derivatives of one edge's exact current at node voltages va, vb (V): dI/dV_a, dI/dV_b (S), dI/dtheta. */
export interface EdgeSensitivity {
  dA: number;
  dB: number;
  /** S for a conductance, S (A/V) for a gate voltage, 0 without a parameter. */
  dTheta: number;
}

/**
 * The exact law's sensitivities of edge e at parameters `theta` and node voltages `va`, `vb`. `law` is the edge's law
 * (lawsAt), used for the slope of two-terminal elements.
 */
export function edgeSensitivity(net: Network, law: TwoTerminalLaw, e: number, theta: number, va: number, vb: number, out: EdgeSensitivity): EdgeSensitivity {
  const el = net.elements?.[e];
  const x = va - vb;
  if (el?.kind === 'transistor') {
    const leak = (el.cutoff ?? DEFAULT_GATE_CUTOFF) * el.s;
    if (el.saturation === 'square') {
      const qa = Math.max(0, theta - el.vt - va);
      const qb = Math.max(0, theta - el.vt - vb);
      out.dA = el.s * qa + leak;
      out.dB = -el.s * qb - leak;
      out.dTheta = el.s * (qb - qa);
      return out;
    }
    const k = el.s * (theta - el.vt - 0.5 * (va + vb));
    if (k > leak) {
      out.dA = k - 0.5 * el.s * x;
      out.dB = -k - 0.5 * el.s * x;
      out.dTheta = el.s * x;
    } else {
      out.dA = leak;
      out.dB = -leak;
      out.dTheta = 0;
    }
    return out;
  }
  const g = law.slope(x);
  out.dA = g;
  out.dB = -g;
  out.dTheta = parameterKind(el) === 'conductance' ? x : 0;
  return out;
}

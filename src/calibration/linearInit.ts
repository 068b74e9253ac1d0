/**
 * The linear stage of the calibration fit: Kirchhoff's law is linear in the conductances once the node voltages are
 * known, so with the readings taken as the voltages (ADC assumed ideal at this stage) the edge parameters follow
 * from one homogeneous linear least-squares problem `A k = 0`: every free node of every measurement contributes the
 * row `sum_{e at i} k_e (V_i - V_other) = 0`. Its solution is the right singular vector of A with the smallest
 * singular value (found as the lowest eigenvector of the column-scaled A^T A), fixed in scale by the reference.
 *
 * Gate boards are linear too, in p_e = s_e and q_e = s_e vt_e: k_e = p_e (V_G - V_mean) - q_e.
 *
 * DAC channels: a straight-line fit of each imposed node's reading against its command (gain and offset in reading
 * units, i.e. with the ADC taken as ideal).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { tapConductance } from '../physics/edgeLaws.js';
import type { ParameterLayout } from './CalibrationProblem.js';
import type { CalibrationData } from './types.js';

/** Result of the linear stage, with its diagnostics. */
export interface LinearInit {
  x: Float64Array;
  /** Smallest / second-smallest eigenvalue of the scaled A^T A (near 0 / clearly positive when determined). */
  nullRatio: number;
  rows: number;
}

export interface LinearInitInput {
  nodes: number;
  edgeA: Int32Array;
  edgeB: Int32Array;
  layout: ParameterLayout;
  data: CalibrationData;
  nominal: EdgeLaw;
  /** Per (measurement * nodes + node): 1 if the reading is usable. */
  weight: Float64Array;
  /** Scale target: the geometric mean of the edge conductances (tap) or of s (gate) after scaling. */
  scale: (k: Float64Array, used: Uint8Array) => number;
}

export function linearInit(input: LinearInitInput): LinearInit {
  const { nodes: N, edgeA, edgeB, layout: L, data, nominal, weight } = input;
  const E = edgeA.length;
  const x = new Float64Array(L.n);
  for (let i = 0; i < N; i++) {
    x[L.adcGain[i]] = 1;
    x[L.adcOffset[i]] = 0;
  }
  // DAC: reading = gain * command + offset, per channel (ADC ideal)
  const fitLine = (pairs: [number, number][]): [number, number] => {
    if (pairs.length === 0) return [1, 0];
    let mx = 0, my = 0;
    for (const [c, r] of pairs) {
      mx += c;
      my += r;
    }
    mx /= pairs.length;
    my /= pairs.length;
    let sxx = 0, sxy = 0;
    for (const [c, r] of pairs) {
      sxx += (c - mx) ** 2;
      sxy += (c - mx) * (r - my);
    }
    if (sxx < 1e-12) return [1, my - mx];
    const g = sxy / sxx;
    return [g, my - g * mx];
  };
  const drive = new Map<number, [number, number][]>();
  const clamp = new Map<number, [number, number][]>();
  data.measurements.forEach((m, mi) => {
    for (const [j, c] of m.drive) if (weight[mi * N + j]) (drive.get(j) ?? drive.set(j, []).get(j)!).push([c, m.readings[j]]);
    for (const [j, c] of m.clamp) if (weight[mi * N + j]) (clamp.get(j) ?? clamp.set(j, []).get(j)!).push([c, m.readings[j]]);
  });
  for (let j = 0; j < N; j++) {
    if (L.driveGain[j] >= 0) [x[L.driveGain[j]], x[L.driveOffset[j]]] = fitLine(drive.get(j) ?? []);
    if (L.clampGain[j] >= 0) [x[L.clampGain[j]], x[L.clampOffset[j]]] = fitLine(clamp.get(j) ?? []);
  }

  // Edge unknowns: tap -> one per edge parameter (k); gate -> p_e, q_e per edge.
  const gate = nominal.kind === 'gate';
  const nu = gate ? 2 * E : L.tapPairs.length;
  const rows: Float64Array[] = [];
  data.measurements.forEach((m, mi) => {
    const imposed = new Set<number>([...m.drive.map((d) => d[0]), ...m.clamp.map((d) => d[0])]);
    const v = m.readings;
    const settings = data.configurations[m.configuration];
    const row = new Map<number, Float64Array>();
    const rowOf = (i: number): Float64Array => {
      let r = row.get(i);
      if (!r) row.set(i, (r = new Float64Array(nu)));
      return r;
    };
    const usable = (i: number): boolean => weight[mi * N + i] === 1;
    for (let e = 0; e < E; e++) {
      const a = edgeA[e];
      const b = edgeB[e];
      const d = v[a] - v[b];
      for (const [i, sign] of [[a, 1], [b, -1]] as const) {
        if (imposed.has(i)) continue;
        const r = rowOf(i);
        if (gate) {
          const vm = 0.5 * (v[a] + v[b]);
          r[2 * e] += sign * (settings[e] - vm) * d;
          r[2 * e + 1] += -sign * d;
        } else {
          r[L.edgeParam[m.configuration * E + e] - L.firstEdgeParam] += sign * d;
        }
      }
    }
    for (const [i, r] of row) {
      // a row needs the node and all its neighbours readable
      let ok = usable(i);
      for (let e = 0; e < E && ok; e++) {
        if (edgeA[e] === i && !usable(edgeB[e])) ok = false;
        if (edgeB[e] === i && !usable(edgeA[e])) ok = false;
      }
      if (ok) rows.push(r);
    }
  });
  // column scaling, then the lowest eigenvector of (AS)^T (AS)
  const colNorm = new Float64Array(nu);
  for (const r of rows) for (let j = 0; j < nu; j++) colNorm[j] += r[j] * r[j];
  const used = Uint8Array.from(colNorm, (c) => (c > 0 ? 1 : 0));
  const idx: number[] = [];
  for (let j = 0; j < nu; j++) if (used[j]) idx.push(j);
  const nuUsed = idx.length;
  const AtA = new Matrix(nuUsed, nuUsed);
  const s = idx.map((j) => 1 / Math.sqrt(colNorm[j]));
  for (const r of rows) {
    for (let p = 0; p < nuUsed; p++) {
      const rp = r[idx[p]] * s[p];
      if (rp === 0) continue;
      for (let q = p; q < nuUsed; q++) {
        const rq = r[idx[q]] * s[q];
        if (rq !== 0) AtA.set(p, q, AtA.get(p, q) + rp * rq);
      }
    }
  }
  for (let p = 0; p < nuUsed; p++) for (let q = 0; q < p; q++) AtA.set(p, q, AtA.get(q, p));
  let nullRatio = NaN;
  const u = new Float64Array(nu);
  if (nuUsed > 0) {
    const eig = new EigenvalueDecomposition(AtA, { assumeSymmetric: true });
    const ev = eig.realEigenvalues;
    let lo = 0;
    for (let i = 1; i < ev.length; i++) if (ev[i] < ev[lo]) lo = i;
    let second = Infinity;
    for (let i = 0; i < ev.length; i++) if (i !== lo) second = Math.min(second, ev[i]);
    nullRatio = ev[lo] / second;
    const vec = eig.eigenvectorMatrix.getColumn(lo);
    for (let p = 0; p < nuUsed; p++) u[idx[p]] = vec[p] * s[p];
  }
  if (!gate) {
    const model = nominal.kind === 'tap' ? nominal : null;
    const kNom = Float64Array.from(L.tapPairs, (pr) => (model ? tapConductance(model, pr.setting) : 1));
    let pos = 0;
    for (let j = 0; j < nu; j++) if (used[j]) pos += u[j] > 0 ? 1 : -1;
    const sign = pos >= 0 ? 1 : -1;
    const k = Float64Array.from(u, (v) => v * sign);
    // unusable or non-positive entries: nominal, scaled alike afterwards
    const good = Uint8Array.from(k, (v, j) => (used[j] && v > 0 ? 1 : 0));
    const factor = input.scale(k, good);
    for (let j = 0; j < nu; j++) x[L.firstEdgeParam + j] = Math.log(good[j] ? k[j] * factor : kNom[j]);
  } else {
    const model = nominal.kind === 'gate' ? nominal : null;
    const p = new Float64Array(E);
    const q = new Float64Array(E);
    let pos = 0;
    for (let e = 0; e < E; e++) pos += u[2 * e] > 0 ? 1 : -1;
    const sign = pos >= 0 ? 1 : -1;
    for (let e = 0; e < E; e++) {
      p[e] = u[2 * e] * sign;
      q[e] = u[2 * e + 1] * sign;
    }
    const good = Uint8Array.from(p, (v, e) => (used[2 * e] && v > 0 ? 1 : 0));
    const factor = input.scale(p, good);
    for (let e = 0; e < E; e++) {
      if (good[e]) {
        x[L.logS[e]] = Math.log(p[e] * factor);
        x[L.vt[e]] = q[e] / p[e];
      } else {
        x[L.logS[e]] = Math.log(model ? model.s : 1e-3);
        x[L.vt[e]] = model ? model.vt : 0;
      }
    }
  }
  return { x, nullRatio, rows: rows.length };
}

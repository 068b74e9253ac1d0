import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../../../src/diagnostics/symmetricEigen.js';
import { InvalidInputError } from '../../../../src/errors.js';
import { Rng } from '../../../../src/physics/Rng.js';
import { harmonicStrainThermal } from '../../../../src/physics/springs/thermal/harmonicThermal.js';
import { frequencyBound, langevinStrainRun } from '../../../../src/physics/springs/thermal/langevin.js';
import { seriesStatistics } from '../../../../src/physics/springs/thermal/seriesStatistics.js';
import { denseStrainPairGram, type NodePair } from '../../../../src/physics/springs/thermal/strainGram.js';
import { denseStiffnessMatrix } from '../../../../src/physics/springs/stiffnessMatrix.js';
import { langevinPatch } from './springPatch.js';

describe('seriesStatistics: batch-means errors on a process with known autocorrelation', () => {
  it('AR(1) with phi = 0.9: variance 1, tau_int = (1 + phi) / (2 (1 - phi)) = 9.5 samples', () => {
    const rng = new Rng(31);
    const phi = 0.9;
    const n = 1 << 18;
    const x = new Float64Array(n);
    let v = rng.normal();
    for (let i = 0; i < n; i++) {
      v = phi * v + Math.sqrt(1 - phi * phi) * rng.normal();
      x[i] = v;
    }
    const st = seriesStatistics(x);
    expect(st.correlationTime).toBeGreaterThan(9.5 * 0.7);
    expect(st.correlationTime).toBeLessThan(9.5 * 1.3);
    // the error of the mean is sqrt(2 tau / N) for unit variance
    expect(st.meanError / Math.sqrt((2 * 9.5) / n)).toBeGreaterThan(0.7);
    expect(st.meanError / Math.sqrt((2 * 9.5) / n)).toBeLessThan(1.3);
    expect(Math.abs(st.mean)).toBeLessThan(4 * st.meanError);
    expect(Math.abs(st.std - 1)).toBeLessThan(4 * st.stdError);
    expect(st.reliable).toBe(true);
  });

  it('the 2-sigma intervals of mean and std cover the truth about 95 % of the time (300 AR(1) series, phi = 0.5)', () => {
    const rng = new Rng(32);
    let meanHits = 0;
    let stdHits = 0;
    const runs = 300;
    for (let r = 0; r < runs; r++) {
      const x = new Float64Array(4096);
      let v = rng.normal();
      for (let i = 0; i < x.length; i++) {
        v = 0.5 * v + Math.sqrt(0.75) * rng.normal();
        x[i] = v;
      }
      const st = seriesStatistics(x);
      if (Math.abs(st.mean) < 2 * st.meanError) meanHits++;
      if (Math.abs(st.std - 1) < 2 * st.stdError) stdHits++;
    }
    for (const hits of [meanHits, stdHits]) {
      expect(hits / runs).toBeGreaterThan(0.88);
      expect(hits / runs).toBeLessThan(0.99);
    }
  });
});

describe('Langevin dynamics of the nonlinear network agrees with the harmonic statistics at low T', () => {
  const net = langevinPatch();
  const S: NodePair = [6, 18];
  const T: NodePair = [13, 25];

  it('the test network is rigid: exactly 3 zero modes', () => {
    const eig = symmetricEigen(denseStiffnessMatrix(net), 2 * net.nodes, { vectors: false });
    const max = eig.values[eig.values.length - 1];
    expect(eig.values.filter((v) => Math.abs(v) <= 1e-9 * max).length).toBe(3);
    expect(frequencyBound(net) ** 2).toBeGreaterThanOrEqual(max); // the bound used for the default step holds
  });

  it('mean and std of the target strain with and without input within 3 sigma (batch means) of the harmonic ones with the same source spring', () => {
    const temperature = 1e-7; // sigma ~ 3e-4 strain: deep in the harmonic regime
    const s = 1e-3; // small, so that the static nonlinearity (relative O(s)) is far below the statistical error
    const K = 20; // source spring, energy / length^2: kappa g_SS ~ 35
    const gram = denseStrainPairGram(net, [S, T], symmetricEigen);
    const harmonic = harmonicStrainThermal(gram, 0, { sourceStrain: s, sourceSpring: K });
    const common = { temperature, source: S, target: T, sourceStrain: s, sourceSpring: K, friction: 0.1, steps: 150_000 };
    const free = langevinStrainRun(net, { ...common, input: false, seed: 1 });
    const held = langevinStrainRun(net, { ...common, input: true, seed: 2 });
    for (const run of [free, held]) {
      expect(run.target.reliable).toBe(true);
      expect(Math.abs(run.kineticTemperature / temperature - 1)).toBeLessThan(0.03);
    }
    const sdWithout = Math.sqrt(temperature * harmonic.varianceWithout);
    const sdWith = Math.sqrt(temperature * harmonic.varianceWith);
    expect(Math.abs(free.target.mean)).toBeLessThan(3 * free.target.meanError);
    expect(Math.abs(free.target.std - sdWithout)).toBeLessThan(3 * free.target.stdError);
    expect(Math.abs(held.target.mean - harmonic.response)).toBeLessThan(3 * held.target.meanError);
    expect(Math.abs(held.target.std - sdWith)).toBeLessThan(3 * held.target.stdError);
    // the source spring holds eps_S at s kappa g_SS / (1 + kappa g_SS), with the harmonic Var T / (kappa + 1 / g_SS)
    const kappa = K * gram.lengths[0] ** 2;
    const gSS = gram.compliance[0];
    expect(Math.abs(held.source.mean - (s * kappa * gSS) / (1 + kappa * gSS))).toBeLessThan(3 * held.source.meanError);
    expect(Math.abs(held.source.std - Math.sqrt(temperature / (kappa + 1 / gSS)))).toBeLessThan(3 * held.source.stdError);
    // the comparison has power: with and without input differ by many error bars in both mean and std
    expect(Math.abs(held.target.mean - free.target.mean)).toBeGreaterThan(30 * held.target.meanError);
    expect(Math.abs(sdWith - sdWithout)).toBeGreaterThan(8 * held.target.stdError);
  });

  it('refuses bad options with InvalidInputError', () => {
    const base = { temperature: 1e-6, source: S, target: T, input: true, steps: 1000, seed: 1 };
    expect(() => langevinStrainRun(net, { ...base, temperature: 0 })).toThrow(InvalidInputError);
    expect(() => langevinStrainRun(net, { ...base, source: [3, 3] })).toThrow(InvalidInputError);
    expect(() => langevinStrainRun(net, { ...base, steps: 10 })).toThrow(/blocks/);
    expect(() => langevinStrainRun(net, { ...base, sourceStrain: -1 })).toThrow(InvalidInputError);
  });
});

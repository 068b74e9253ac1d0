// Which cl learning rates converge on triangular spring networks of three sizes (allostery, auto pairs): the
// measurement behind the springs README's "Rate" paragraph. Run after `npm run build`:
//   node bench/springAlpha.mjs [steps] [delta|rel]   (default 300 steps, delta 0.01)
// For each alpha: error (eps_T^F - Delta)^2 after 30/100/steps steps relative to the start, stopping early when it
// falls below 1e-12 of the start (converged) or rises above 1e2 of it / leaves the finite numbers (diverged). Also the
// predicted critical rate of the eta -> 0 linearisation, alpha_c = 2 / (kappa |J|^2): kappa the target's stiffness
// with the source held, J = d eps_T^F / dk (the error's own step is d eps_T = -alpha kappa |J|^2 (eps_T - Delta)).
import { triangularSprings } from '../dist/src/physics/springs/generators/triangular.js';
import { pickStrainPairs } from '../dist/src/physics/springs/generators/strainPairs.js';
import { SpringTrainer } from '../dist/src/physics/springs/SpringTrainer.js';
import { StrainSolver } from '../dist/src/physics/springs/StrainSolver.js';
import { targetStrainGradient } from '../dist/src/physics/springs/strainGradient.js';
import { strainDirections } from '../dist/src/physics/springs/StrainTask.js';

const steps = Number(process.argv[2] ?? 300);
const deltaArg = process.argv[3] ?? '0.01';
const eta = 0.1;
const sizes = [8, 16, 32];
const alphas = [];
for (let p = 0; p <= 20; p++) alphas.push(Number((p % 2 === 0 ? 1 : 3).toString() + "e" + Math.floor(p / 2)));
for (const L of sizes) {
  const { network: net } = triangularSprings({ rows: L, cols: L, coordination: 4.6, disorder: 0.2, seed: 1 });
  const pairs = pickStrainPairs(net, 1);
  const solver = new StrainSolver(net);
  const probe = { ...pairs, sourceStrain: 1, delta: 0, cooperative: false, lambda: 0 };
  const dir = strainDirections(probe)[0];
  const tg = targetStrainGradient(solver, dir, 1);
  const eT = tg.targetStrain;
  const delta = deltaArg === 'rel' ? 2 * eT : Number(deltaArg);
  // kappa from a clamped state at a small nudge: lambda_T / (eps_T^C - eps_T^F)
  const st = solver.taskStates({ ...probe, delta }, 1e-3)[0];
  const kappa = st.clamped.forces[1] / (st.clampedTarget - st.freeTarget);
  let j2 = 0;
  for (const g of tg.gradient) j2 += g * g;
  const alphaC = 2 / (kappa * j2);
  console.log(`L=${L} nodes=${net.nodes} springs=${net.edgeA.length} source=${pairs.source} target=${pairs.target} eps_T^F=${eT.toExponential(3)} Delta=${delta.toExponential(3)} kappa=${kappa.toExponential(3)} |J|^2=${j2.toExponential(3)} alpha_c=2/(kappa|J|^2)=${alphaC.toExponential(3)} eta|Delta-eps_T|/|eps_T|=${(eta * Math.abs(delta - eT) / Math.abs(eT)).toExponential(2)}`);
  for (const alpha of alphas) {
    const task = { ...probe, delta };
    const tr = new SpringTrainer(net, task, { rule: 'cl', eta, alpha, steps });
    const t0 = performance.now();
    let e0 = NaN;
    const at = {};
    let verdict = 'ran';
    let s = 0;
    let last = NaN;
    for (; s < steps; s++) {
      const r = tr.step();
      const err = 2 * r.cost;
      if (s === 0) e0 = err;
      last = err / e0;
      if (s === 30 || s === 100) at[s] = last;
      if (!Number.isFinite(last) || last > 1e2) { verdict = `diverged@${s}`; break; }
      if (last < 1e-12) { verdict = `converged@${s}`; break; }
    }
    const ms = (performance.now() - t0) / (s + 1);
    const atBound = tr.stiffness.filter((k) => k <= tr.cfg.bounds[0] || k >= tr.cfg.bounds[1]).length;
    console.log(`  alpha ${alpha.toExponential(0)} (alpha/alpha_c ${(alpha / alphaC).toExponential(1)}): err/err0 @30 ${at[30]?.toExponential(1) ?? '-'} @100 ${at[100]?.toExponential(1) ?? '-'} last ${last.toExponential(1)} ${verdict}; springs at bounds ${atBound}; ${ms.toFixed(1)} ms/step`);
  }
}

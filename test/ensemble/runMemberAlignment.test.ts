/**
 * runMember above the dense limit (MAX_ALIGNMENT_EDGES): the stiff alignment is now finite, and equals an independent
 * computation — the Jacobian dV_T/dk_e built column by column from central finite differences of the solved target
 * voltages (one re-factorisation per perturbed edge, no Green's functions, no Gauss-Newton operator), the top
 * eigenvector of J^T J obtained from the small Gram matrix J J^T (ml-matrix; v = J^T u), and the alignment written
 * here from its definition against the soft modes of H_FF.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { physicalSpectrum } from '../../src/diagnostics/physicalSpectrum.js';
import { parseEnsembleSpec } from '../../src/ensemble/EnsembleSpec.js';
import { MAX_ALIGNMENT_EDGES, memberNetwork, memberTask, runMember } from '../../src/ensemble/runMember.js';
import { StateSolver } from '../../src/physics/StateSolver.js';

describe('runMember alignment above the dense limit', () => {
  it('gives a finite alignment on a 33 x 33 lattice (2112 edges) equal to one from a finite-difference Jacobian', () => {
    const spec = parseEnsembleSpec(
      {
        format: 'clln.ensemble/1', members: 1, seed: 11,
        network: { kind: 'lattice', rows: 33, cols: 33, conductance: [0.5, 1.5] },
        task: { kind: 'linear', matrix: [[0.2, 0.1], [0.05, 0.3]], sources: [0, 32], targets: [500, 620], ground: [1088], count: 4, test: 0 },
        stop: { maxSteps: 20 },
        diagnostics: { modes: 6, boundaryFrequency: false },
      },
      'large.json',
    );
    const r = runMember(spec, 0);
    expect(r.edges).toBe(2112);
    expect(r.edges).toBeGreaterThan(MAX_ALIGNMENT_EDGES);
    expect(r.stiffAlignment).not.toBeNull();

    const net = { ...memberNetwork(spec, 0), conductance: Float64Array.from(r.conductance) };
    const task = memberTask(spec, 0, net.nodes);
    const E = net.edgeA.length;
    const M = task.train.length;
    const T = task.targets.length;

    // J (M T x E) by central differences, step 1e-4 relative: truncation ~1e-8 relative, rounding ~1e-12.
    const solver = new StateSolver(net, task);
    const k = Float64Array.from(net.conductance);
    const targetsAt = (): number[] => {
      solver.setConductance(k);
      const out: number[] = [];
      for (const ex of task.train) {
        const v = solver.free(ex.in).voltages;
        for (const t of task.targets) out.push(v[t]);
      }
      return out;
    };
    const J = Matrix.zeros(M * T, E);
    for (let e = 0; e < E; e++) {
      const k0 = k[e];
      const h = 1e-4 * k0;
      k[e] = k0 + h;
      const up = targetsAt();
      k[e] = k0 - h;
      const down = targetsAt();
      k[e] = k0;
      for (let i = 0; i < M * T; i++) J.set(i, e, (up[i] - down[i]) / (2 * h));
    }
    // Top eigenvector of (1/M) J^T J: from the M T x M T Gram matrix (same non-zero spectrum), v = J^T u.
    const gram = J.mmul(J.transpose());
    const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
    const top = evd.realEigenvalues.indexOf(Math.max(...evd.realEigenvalues));
    const v = J.transpose().mmul(Matrix.columnVector(evd.eigenvectorMatrix.getColumn(top))).getColumn(0);
    const vn = Math.hypot(...v);

    const phys = physicalSpectrum(net, { task, which: 'lowest', k: 6 });
    let best = 0;
    for (const psi of phys.vectors) {
      const s = Array.from(net.edgeA, (a, e) => (psi[net.edgeB[e]] - psi[a]) ** 2);
      const dot = s.reduce((acc, x, e) => acc + x * v[e], 0);
      best = Math.max(best, Math.abs(dot) / (Math.hypot(...s) * vn));
    }
    expect(best).toBeGreaterThan(0);
    expect(Math.abs(r.stiffAlignment! - best)).toBeLessThan(1e-7);
  });
});

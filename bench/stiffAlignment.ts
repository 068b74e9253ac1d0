/**
 * Stiff-alignment measurements for the ensemble (`node dist/bench/stiffAlignment.js [gn|time]` after `npm run build`):
 * - gn: on small trained members (dense path), how the stiffest mode of the Gauss-Newton Hessian compares with that of
 *   the full Hessian (|cos| between them) and how much the alignment statistic changes between the two;
 * - time: the matrix-free alignment (stiffModeAlignment) on 64 x 64 lattices, with and without diagonals, after a short
 *   training, in ms per member (the physical spectrum is timed separately: runMember computes it anyway).
 *
 * Measured 2026-12-07 (Node 20, 2 cores shared, load average ~4 from `uptime`):
 * - gn, 36 trained members (8x8, 10x10 + diagonals, 12x12 lattices, 2 sources, 2 targets, 20 examples, cl rule,
 *   2000-3000 steps, train MSE 0.9e-3..3.5e-3 V^2): |cos(v_GN, v_full)| median 0.99972, min 0.965 (1 member below 0.99,
 *   none below 0.9); |alignment_full - alignment_GN| median 2.8e-3, max 6.3e-2. Untrained (0 steps, MSE 3e-2..7e-2 V^2,
 *   12 members): |cos| 0.38..0.75 and the alignments differ by up to 0.43 — the second-order term is not small away
 *   from a fit, so GN and full alignments are comparable only for trained members.
 * - time, 64 x 64 lattice, 20 examples, 2 targets: stiffModeAlignment 314-352 ms per member at E = 8064 and
 *   237-319 ms at E = 16002 (diagonals), 11 GN products each (the GN spectrum decays fast: rank <= M |T| = 40);
 *   the 10 lowest physical modes, which runMember computes anyway, 289-513 ms.
 */
import { costHessian } from '../src/diagnostics/costHessian.js';
import { modeCoupling } from '../src/diagnostics/modeCoupling.js';
import { physicalSpectrum } from '../src/diagnostics/physicalSpectrum.js';
import { stiffModeAlignment } from '../src/diagnostics/stiffModeAlignment.js';
import { parseEnsembleSpec } from '../src/ensemble/EnsembleSpec.js';
import { memberNetwork, memberTask, runMember } from '../src/ensemble/runMember.js';

function gnVersusFull(): void {
  const rows: string[] = [];
  const cosines: number[] = [];
  const deltas: number[] = [];
  for (const [side, diagonals, steps] of [[8, false, 2000], [10, true, 2000], [12, false, 3000], [8, false, 0]] as const) {
    const n = side * side;
    const spec = parseEnsembleSpec(
      {
        format: 'clln.ensemble/1', members: 12, seed: 21,
        network: { kind: 'lattice', rows: side, cols: side, diagonals, conductance: [0.5, 1.5] },
        task: { kind: 'linear', matrix: [[0.2, 0.1], [0.05, 0.3]], sources: [0, side - 1], targets: [Math.floor(n / 2), Math.floor(n / 2) + side + 1], ground: [n - 1], count: 20, test: 0 },
        stop: { maxSteps: steps },
        diagnostics: { modes: 10, alignment: false, boundaryFrequency: false },
      },
      'bench.json',
    );
    for (let i = 0; i < spec.members; i++) {
      const r = runMember(spec, i);
      const net = { ...memberNetwork(spec, i), conductance: r.conductance };
      const task = memberTask(spec, i, net.nodes);
      const E = net.edgeA.length;
      const h = costHessian(net, task);
      const phys = physicalSpectrum(net, { task, which: 'lowest', k: 10 });
      const physical = { values: phys.values, vectors: phys.vectors };
      const full = modeCoupling(h.full!, E, physical, net.edgeA, net.edgeB, { stiff: 1 });
      const gn = modeCoupling(h.gaussNewton, E, physical, net.edgeA, net.edgeB, { stiff: 1 });
      let c = 0;
      for (let e = 0; e < E; e++) c += full.stiff.vectors[0][e] * gn.stiff.vectors[0][e];
      c = Math.abs(c);
      const d = Math.abs(full.best.cosine - gn.best.cosine);
      if (steps > 0) {
        cosines.push(c);
        deltas.push(d);
      }
      rows.push(`${side}x${side}${diagonals ? '+d' : ''} E=${E} steps=${steps} member ${i}: trainMse ${r.trainMse.toExponential(2)}  |cos(v_GN, v_full)| ${c.toFixed(6)}  mu_GN/mu_full ${(gn.stiff.values[0] / full.stiff.values[0]).toFixed(6)}  align full ${full.best.cosine.toFixed(4)} GN ${gn.best.cosine.toFixed(4)}`);
    }
  }
  console.log(rows.join('\n'));
  const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
  const cs = sorted(cosines);
  const ds = sorted(deltas);
  console.log(`trained members: ${cs.length}; |cos(v_GN, v_full)| min ${cs[0].toFixed(6)} median ${cs[cs.length >> 1].toFixed(6)}; below 0.99: ${cs.filter((x) => x < 0.99).length}, below 0.9: ${cs.filter((x) => x < 0.9).length}`);
  console.log(`|alignment_full - alignment_GN|: median ${ds[ds.length >> 1].toExponential(2)} max ${ds[ds.length - 1].toExponential(2)}`);
}

function timing(): void {
  for (const diagonals of [false, true]) {
    const spec = parseEnsembleSpec(
      {
        format: 'clln.ensemble/1', members: 2, seed: 5,
        network: { kind: 'lattice', rows: 64, cols: 64, diagonals, conductance: [0.5, 1.5] },
        task: { kind: 'linear', matrix: [[0.2, 0.1], [0.05, 0.3]], sources: [0, 63], targets: [2080, 2145], ground: [4095], count: 20, test: 0 },
        stop: { maxSteps: 50 },
        diagnostics: { modes: 10, alignment: false, boundaryFrequency: false },
      },
      'bench.json',
    );
    for (let i = 0; i < spec.members; i++) {
      const r = runMember(spec, i);
      const net = { ...memberNetwork(spec, i), conductance: r.conductance };
      const task = memberTask(spec, i, net.nodes);
      let t0 = performance.now();
      const phys = physicalSpectrum(net, { task, which: 'lowest', k: 10 });
      const physMs = performance.now() - t0;
      t0 = performance.now();
      const a = stiffModeAlignment(net, task, { values: phys.values, vectors: phys.vectors });
      const alignMs = performance.now() - t0;
      console.log(`64x64${diagonals ? '+diagonals' : ''} E=${net.edgeA.length} member ${i}: alignment ${a.cosine.toFixed(4)} (GN products ${a.operatorApplications}) ${alignMs.toFixed(0)} ms; physical spectrum (10 lowest, already in runMember) ${physMs.toFixed(0)} ms`);
    }
  }
}

const what = process.argv[2] ?? 'both';
if (what === 'gn' || what === 'both') gnVersusFull();
if (what === 'time' || what === 'both') timing();

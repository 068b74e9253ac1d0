/**
 * The figures of a spring network's diagnosis (`clln diagnose NET.springs.json [TASK] --svg DIR`): spectra, the
 * softest mode and the task's free-state response as displacement arrows on the network (springs coloured by their
 * squared extension or their stiffness), the stiffest cost-Hessian mode, the regions of the localised soft modes and
 * the boundary frequency. Pure: returns the SVG texts; the CLI writes them (src/cli/figureFiles.ts). A 3D network is
 * drawn projected on x, y (said in each figure's note).
 */
import type { SpringNetwork } from '../../physics/springs/SpringNetwork.js';
import { bondDirections, springExtensions } from '../../physics/springs/stiffnessMatrix.js';
import type { SpringDiagnosisReport } from '../diagnoseSprings.js';
import { networkFigure } from './networkFigure.js';
import { spectraFigure, type SpectrumPanel } from './spectrumFigure.js';
import type { FigureContext } from './svgDocument.js';

/** x, y of every node (a 3D vector field or position list projected on the x, y plane). */
export function planar(values: Float64Array, dim: number): Float64Array {
  if (dim === 2) return values;
  const n = values.length / dim;
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = values[dim * i];
    out[2 * i + 1] = values[dim * i + 1];
  }
  return out;
}

/** The figures, as { name (file name without .svg), svg }. */
export function springFigures(net: SpringNetwork, r: SpringDiagnosisReport, context: FigureContext): { name: string; svg: string }[] {
  const out: { name: string; svg: string }[] = [];
  const u = r.units;
  const pos = planar(net.positions, net.dim);
  const projected = net.dim === 3 ? ' Drawn projected on the x, y plane.' : '';
  const roles = r.task ? { sources: r.task.source, targets: r.task.target } : undefined;
  const panels: SpectrumPanel[] = [
    { title: '(a) stiffness matrix, zero modes excluded: lowest', series: [{ label: '', values: r.physical.lowest.values }], xLabel: 'mode index, softest first (count)', yLabel: `eigenvalue (${u.eigenvalue})` },
  ];
  if (r.cost && r.cost.full.length > 0) panels.push({ title: '(b) cost Hessian: largest', series: [{ label: '', values: r.cost.full }], xLabel: 'mode index, stiffest first (count)', yLabel: `eigenvalue (${u.hessian})` });
  const z = r.physical.zeroModes;
  out.push({ name: 'spectrum', svg: spectraFigure(panels, { title: 'Eigenvalue spectra', context, notes: [`${z.count} zero modes excluded: ${z.rigid} rigid-body, ${z.floppy} floppy`] }) });

  const soft = r.physical.lowest.vectors[0];
  if (soft) {
    out.push({
      name: 'soft-mode',
      svg: networkFigure(pos, net.edgeA, net.edgeB, {
        title: 'Softest mode with nonzero stiffness',
        context,
        edgeValues: squaredExtensions(net, soft),
        edgeLabel: 'squared extension ext_e(psi)^2 (dimensionless)',
        nodeArrows: planar(soft, net.dim),
        arrowLabel: 'mode displacement (dimensionless)',
        nodeRoles: roles,
        explanation: `The softest eigenvector of the stiffness matrix (eigenvalue ${r.physical.lowest.values[0].toPrecision(4)} ${u.eigenvalue}) after the rigid and floppy modes are projected out, unit length: each node's displacement as an arrow, each spring coloured by the square of its extension.${projected}`,
      }),
    });
  }
  if (r.task && r.response.length > 0) {
    const t = r.task;
    out.push({
      name: 'response',
      svg: networkFigure(pos, net.edgeA, net.edgeB, {
        title: 'Free-state response to the source strain',
        context,
        edgeValues: net.stiffness,
        edgeLabel: u.parameter,
        nodeArrows: planar(r.response[0], net.dim),
        arrowLabel: 'displacement u (length)',
        nodeRoles: roles,
        explanation: `The displacements when the source pair (${t.source[0]}, ${t.source[1]}) is strained by ${t.sourceStrain} and the energy is minimised (least-norm: no rigid or free floppy motion); springs coloured by stiffness. Source pair: triangles; target pair (${t.target[0]}, ${t.target[1]}): diamonds.${projected}`,
      }),
    });
  }
  const stiff = r.cost?.coupling?.stiff.vectors[0];
  if (stiff) {
    out.push({
      name: 'stiff-cost-mode',
      svg: networkFigure(pos, net.edgeA, net.edgeB, { title: 'Stiffest cost-Hessian mode', context, edgeValues: stiff, edgeScale: 'diverging', edgeLabel: 'mode component (dimensionless)', nodeRoles: roles, explanation: `The eigenvector of the cost Hessian with the largest eigenvalue, unit length: its component on each spring's stiffness.${projected}` }),
    });
  }
  if (r.localisation) {
    const l = r.localisation;
    const f = l.frequency;
    out.push({
      name: 'regions',
      svg: networkFigure(pos, net.edgeA, net.edgeB, {
        title: `Regions of the ${f.chosenModes} localised soft modes`,
        context,
        nodeRegions: l.regions.region,
        highlightEdges: l.regions.boundaryEdges,
        highlightLabel: 'region boundary',
        nodeRoles: roles,
        explanation: `Each node belongs to the localised soft mode with the largest weight there (its displacement components' squares summed); a region boundary is a spring whose ends lie in different regions.${projected}`,
      }),
    });
    out.push({
      name: 'boundary-frequency',
      svg: networkFigure(pos, net.edgeA, net.edgeB, {
        title: 'Boundary-spring frequency f_e',
        context,
        edgeValues: f.f,
        edgeLabel: 'boundary frequency f_e (dimensionless)',
        nodeRoles: roles,
        explanation: `f_e = sum over N_m = ${f.minModes}..${f.maxModes} of n_e(N_m) / sqrt(N_m), n_e(N_m) = 1 when spring e is a region boundary of the lowest N_m soft modes, localised.${projected}`,
      }),
    });
  }
  return out;
}

/** ext_e(u)^2 per spring: the springs' per-edge learning signal of a displacement field. */
function squaredExtensions(net: SpringNetwork, u: Float64Array): Float64Array {
  const ext = springExtensions(net, bondDirections(net), u);
  return ext.map((x) => x * x);
}

/**
 * One interface through which the learned-structure diagnostics (spectrum, localised modes, regions and boundaries,
 * cost Hessian, coupling, gradient fidelity) take every kind of network (issue 17, point 6). A kind supplies:
 *
 * - its **physical Hessian on the free space** ({@link KindHessian}): a {@link HessianOperator} (physicalSpectrum.ts)
 *   and the degree of freedom of each of its rows. Resistors: the grounded Laplacian H_FF over the free nodes (n = N
 *   minus the imposed nodes; a full Laplacian's constants are reported as zero modes). Springs: the stiffness matrix
 *   H = sum_e k_e B_e B_e^T over all d N displacement components with its null space (rigid and floppy modes, the
 *   StrainSolver's exact zero-mode basis) excluded exactly, by projection, not by a regulariser;
 * - how states and modes map to nodes: `components` entries per node (1: a voltage; d: a displacement, interleaved),
 *   node positions with `dim` coordinates (the localisation's position operator; a node's components share its
 *   position, so its weight in a mode is sum_c psi_(i,c)^2);
 * - its **per-edge learning signal** of a state, `edgeSignal`: resistors dV_e^2, springs ext_e^2, i.e. twice
 *   d(energy)/dk_e, the quantity the contrast rule compares between two states. It is also the edge-space image of a
 *   physical mode (dk_e changes psi^T H psi by dk_e x signal_e(psi)), which is what modeCoupling compares with the
 *   cost Hessian's stiff modes;
 * - with a task ({@link KindCost}): the target Jacobian J = d(target response)/dk, the cost, its exact gradient and
 *   Hessian (Gauss-Newton J^T J and full), the fidelity of the contrast rule's gradient to the exact one, and the free
 *   states (for figures).
 *
 * {@link kindSpectrum} and {@link kindSoftModes} are the shared drivers; resistor networks keep their own entry points
 * (physicalSpectrum, costHessian, gradientFidelity), which are this interface's resistor implementation.
 */
import { InvalidInputError, show } from '../errors.js';
import type { Network } from '../physics/Network.js';
import { degreesOfFreedom, type SpringNetwork } from '../physics/springs/SpringNetwork.js';
import { StrainSolver } from '../physics/springs/StrainSolver.js';
import type { StrainTask } from '../physics/springs/StrainTask.js';
import { denseStiffnessMatrix, springExtensions, stiffnessTimes } from '../physics/springs/stiffnessMatrix.js';
import { StateSolver } from '../physics/StateSolver.js';
import { imposedNodes, type Task } from '../physics/Task.js';
import { costHessian, type CostHessianResult } from './costHessian.js';
import { gradientFidelity, type FidelityResult, type FidelityRule } from './gradientFidelity.js';
import { localiseModes, type LocalisedBasis } from './localisedModes.js';
import { modeCoupling, squaredDrops, type CouplingOptions, type CouplingResult } from './modeCoupling.js';
import { binariseModes, boundaryFrequency, type BoundaryFrequency, type ModeRegions } from './modeRegions.js';
import { ALL_BY_DEFAULT_ROWS, DENSE_AUTO_ROWS, laplacianHessian, operatorSpectrum, type HessianOperator, type PhysicalSpectrum } from './physicalSpectrum.js';
import { springCostHessian, springFidelity } from './springCost.js';

/** Units of a kind's quantities, as text for reports and figures. */
export interface KindUnits {
  /** The learning parameter per edge: 'conductance k (S)', 'stiffness k (energy/length^2)'. */
  parameter: string;
  /** Eigenvalues of the physical Hessian: 'S', 'energy/length^2'. */
  eigenvalue: string;
  /** A state's entries: 'V', 'length'. */
  state: string;
  cost: string;
  gradient: string;
  hessian: string;
  /** Units of coupled learning's norm ratio |g_CL| / |dC/dk| (not dimensionless: CL estimates J^T kappa r). */
  clNormRatio: string;
}

/** A kind's physical Hessian on its free space. */
export interface KindHessian {
  operator: HessianOperator;
  /** Degree of freedom (components x node + component) of each compact row. */
  dofs: Int32Array;
  /** What the free space is, in words. */
  description: string;
  /** The exact zero modes: reported as eigenvalue 0 (a full Laplacian) or excluded (springs), with their kinds. */
  zeroModes: { count: number; rigid: number; floppy: number; treatment: 'reported' | 'excluded' };
}

/** A kind's task-dependent parts. */
export interface KindCost {
  /** What the cost averages or sums over: examples (resistors) or directions (springs). */
  over: 'examples' | 'directions';
  /** The cost Hessian (Gauss-Newton and full), cost, exact gradient and Jacobian. */
  hessian(opts?: { secondOrder?: boolean }): CostHessianResult;
  /** The contrast rules' fidelity to the exact gradient. */
  fidelity(): FidelityResult[];
  /** The free state of each example or direction, one dof vector each (volts; displacements). */
  freeStates(): Float64Array[];
}

/** A network as the diagnostics see it. */
export interface NetworkKind {
  kind: 'resistor' | 'spring';
  name: string;
  nodes: number;
  edgeA: Int32Array;
  edgeB: Int32Array;
  /** The learning parameter of each edge (conductance; stiffness). */
  parameters: Float64Array;
  /** Entries per node in states and modes (1, or d for displacements). */
  components: number;
  /** Coordinates per node position. */
  dim: 2 | 3;
  /** Node positions, interleaved (length dim N), if the network has them. */
  positions: Float64Array | undefined;
  units: KindUnits;
  hessian(): KindHessian;
  /** The per-edge learning signal of a state or mode (length E): dV_e^2, ext_e^2. */
  edgeSignal(state: Float64Array): Float64Array;
  cost?: KindCost;
}

export const RESISTOR_UNITS: KindUnits = {
  parameter: 'conductance k (S)',
  eigenvalue: 'S',
  state: 'V',
  cost: 'V^2',
  gradient: 'V^2/S',
  hessian: 'V^2/S^2',
  clNormRatio: 'S',
};

export const SPRING_UNITS: KindUnits = {
  parameter: 'stiffness k (energy/length^2)',
  eigenvalue: 'energy/length^2',
  state: 'length',
  cost: 'dimensionless (strain^2)',
  gradient: 'length^2/energy',
  hessian: 'length^4/energy^2',
  clNormRatio: 'energy',
};

/**
 * A (linear) resistor network as a kind: its Hessian is H_FF with the task's sources and ground imposed (the full
 * Laplacian without a task), its signal the squared drops, its cost parts costHessian and gradientFidelity (CL at eta,
 * EP and CEP at beta).
 */
export function resistorKind(net: Network, task?: Task, rules: FidelityRule[] = [{ rule: 'cl', eta: 0.1 }]): NetworkKind {
  const imposed = task ? imposedNodes(task) : undefined;
  return {
    kind: 'resistor',
    name: net.name,
    nodes: net.nodes,
    edgeA: net.edgeA,
    edgeB: net.edgeB,
    parameters: net.conductance,
    components: 1,
    dim: 2,
    positions: net.positions,
    units: RESISTOR_UNITS,
    hessian: () => {
      const h = laplacianHessian(net, imposed);
      const z = h.operator.nullVectors.length;
      return {
        ...h,
        description: imposed ? 'the Laplacian restricted to the free nodes, H_FF' : 'the full Laplacian (its constants are zero modes)',
        zeroModes: { count: z, rigid: z, floppy: 0, treatment: 'reported' },
      };
    },
    edgeSignal: (state) => squaredDrops(state, net.edgeA, net.edgeB),
    cost: task && {
      over: 'examples',
      hessian: (opts) => costHessian(net, task, opts),
      fidelity: () => gradientFidelity(net, task, rules),
      freeStates: () => {
        const solver = new StateSolver(net, task);
        solver.setConductance(net.conductance);
        return task.train.map((ex) => Float64Array.from(solver.free(ex.in).voltages));
      },
    },
  };
}

/**
 * A spring network as a kind. Builds one {@link StrainSolver} (ordering, zero-mode analysis, symbolic and numeric
 * factorisation) shared by the spectrum (the pseudo-inverse for the softest modes), the cost Hessian and the fidelity.
 * @param etas the clamping strengths of the fidelity part (default [0.1, 0.01, 0.001]: the trend as eta -> 0)
 * @throws InvalidInputError for a prestressed network (StrainSolver) or a bad task pair
 */
export function springKind(net: SpringNetwork, task?: StrainTask, opts: { etas?: number[]; solver?: StrainSolver } = {}): NetworkKind & { solver: StrainSolver } {
  const solver = opts.solver ?? new StrainSolver(net);
  const etas = opts.etas ?? [0.1, 0.01, 0.001];
  for (const [i, eta] of etas.entries()) {
    if (!(Number.isFinite(eta) && eta > 0 && eta <= 1)) throw new InvalidInputError({ field: `etas[${i}]` }, `a clamping strength must be in (0, 1], got ${show(eta)}`);
  }
  const dirs = solver.directions;
  return {
    kind: 'spring',
    solver,
    name: net.name,
    nodes: net.nodes,
    edgeA: net.edgeA,
    edgeB: net.edgeB,
    parameters: net.stiffness,
    components: net.dim,
    dim: net.dim,
    positions: net.positions,
    units: SPRING_UNITS,
    hessian: () => {
      const z = solver.zeroModes;
      return {
        operator: springOperator(net, solver),
        dofs: Int32Array.from({ length: degreesOfFreedom(net) }, (_, i) => i),
        description: `the stiffness matrix on the d N = ${degreesOfFreedom(net)} displacement components with its ${z.count} zero modes (${z.rigid} rigid, ${z.floppy} floppy) projected out`,
        zeroModes: { count: z.count, rigid: z.rigid, floppy: z.floppy, treatment: 'excluded' },
      };
    },
    edgeSignal: (state) => {
      const ext = springExtensions(net, dirs, state);
      for (let e = 0; e < ext.length; e++) ext[e] *= ext[e];
      return ext;
    },
    cost: task && {
      over: 'directions',
      hessian: (o) => springCostHessian(solver, task, o),
      fidelity: () => springFidelity(solver, task, etas),
      freeStates: () => solver.taskStates(task, etas[0]).map((s) => s.free.displacements),
    },
  };
}

/**
 * The stiffness matrix as a {@link HessianOperator} with its zero modes excluded: H u without forming H, the dense
 * matrix for small networks, the StrainSolver's exact zero-mode basis as the null vectors, and the pseudo-inverse
 * H^+ b = the least-norm response to the force b (projected onto the complement of null(H) first; the StrainSolver
 * returns the minimum-norm minimiser, orthogonal to every zero mode no constraint holds).
 */
export function springOperator(net: SpringNetwork, solver: StrainSolver): HessianOperator {
  const n = degreesOfFreedom(net);
  const k = solver.stiffness;
  const dirs = solver.directions;
  const z = solver.zeroModes.count;
  const basis = solver.zeroModes.basis;
  const nullVectors = Array.from({ length: z }, (_, j) => basis.slice(j * n, (j + 1) * n));
  const project = (x: Float64Array): void => {
    for (const q of nullVectors) {
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i] * x[i];
      if (s !== 0) for (let i = 0; i < n; i++) x[i] -= s * q[i];
    }
  };
  return {
    rows: n,
    matvec: (x, y) => void stiffnessTimes(net, dirs, k, x, y as Float64Array<ArrayBuffer>),
    dense: () => denseStiffnessMatrix(net, dirs, k),
    nullVectors,
    zeroModes: 'exclude',
    pseudoInverse: () => {
      let converged = true;
      const f = new Float64Array(n);
      return {
        apply: (x, y) => {
          f.set(x);
          project(f);
          const r = solver.solve([], f);
          if (!r.diagnostics.converged) converged = false;
          y.set(r.displacements);
          project(y);
        },
        converged: () => converged,
      };
    },
    maxDiagonal: () => {
      const d = new Float64Array(n);
      const { dim, edgeA, edgeB } = net;
      for (let e = 0; e < edgeA.length; e++) {
        for (let c = 0; c < dim; c++) {
          const v = k[e] * dirs[dim * e + c] ** 2;
          d[dim * edgeA[e] + c] += v;
          d[dim * edgeB[e] + c] += v;
        }
      }
      let m = 0;
      for (const v of d) m = Math.max(m, v);
      return m;
    },
  };
}

/** Options of {@link kindSpectrum}. */
export interface KindSpectrumOptions {
  which?: 'lowest' | 'highest' | 'all';
  /** Pairs for 'lowest' / 'highest', in [1, available] (available: rows, minus the excluded zero modes). Default 10. */
  k?: number;
  method?: 'auto' | 'dense' | 'lanczos';
  tolerance?: number;
}

/**
 * The spectrum of a kind's physical Hessian on its free space, with dof-indexed vectors (length components x N, 0 at
 * dofs outside the free space), as {@link PhysicalSpectrum} (its `nodes` are the nodes with a free dof). For
 * resistors it equals physicalSpectrum (the same operator and solver); for springs the zero modes are excluded, so
 * 'lowest' starts at the softest mode with nonzero stiffness. The result adds `zeroModes` (what was excluded).
 */
export function kindSpectrum(kind: NetworkKind, opts: KindSpectrumOptions = {}): PhysicalSpectrum & { zeroModes: KindHessian['zeroModes'] } {
  const t0 = performance.now();
  const h = kind.hessian();
  const op = h.operator;
  const available = op.zeroModes === 'exclude' ? op.rows - op.nullVectors.length : op.rows;
  if (available < 1) throw new InvalidInputError({ source: kind.name, field: 'springs' }, 'the physical Hessian has no nonzero eigenvalue (every mode is a zero mode)', 'add springs');
  const which = opts.which ?? (available <= ALL_BY_DEFAULT_ROWS ? 'all' : 'lowest');
  if (which !== 'lowest' && which !== 'highest' && which !== 'all') throw new InvalidInputError({ field: 'which' }, `must be 'lowest', 'highest' or 'all', got ${show(which)}`);
  const methodOpt = opts.method ?? 'auto';
  if (methodOpt !== 'auto' && methodOpt !== 'dense' && methodOpt !== 'lanczos') throw new InvalidInputError({ field: 'method' }, `must be 'auto', 'dense' or 'lanczos', got ${show(methodOpt)}`);
  if (which === 'all' && methodOpt === 'lanczos') throw new InvalidInputError({ field: 'method' }, "'lanczos' computes a few extreme eigenpairs, not which: 'all'");
  let k = available;
  if (which !== 'all') {
    k = opts.k ?? Math.min(10, available);
    if (!(Number.isInteger(k) && k >= 1 && k <= available)) throw new InvalidInputError({ field: 'k' }, `must be an integer in [1, ${available}], got ${show(opts.k)}`);
  }
  const method = methodOpt === 'auto' ? (which === 'all' || op.rows <= DENSE_AUTO_ROWS ? 'dense' : 'lanczos') : methodOpt;
  const r = operatorSpectrum(op, which, k, method, opts.tolerance);
  const size = kind.components * kind.nodes;
  const vectors = r.vectors.map((v) => {
    const full = new Float64Array(size);
    for (let f = 0; f < v.length; f++) full[h.dofs[f]] = v[f];
    return full;
  });
  const nodes = Int32Array.from(new Set(Array.from(h.dofs, (d) => Math.floor(d / kind.components))));
  return {
    nodes,
    values: r.values,
    vectors,
    which,
    method,
    residual: r.residual,
    converged: r.converged,
    iterations: r.iterations,
    seconds: (performance.now() - t0) / 1000,
    zeroModes: h.zeroModes,
  };
}

/** The localisation of a kind's soft modes: the boundary frequency over N_m, the chosen N_m's basis and regions. */
export interface SoftModeLocalisation {
  frequency: BoundaryFrequency;
  basis: LocalisedBasis;
  regions: ModeRegions;
}

/**
 * Localise the lowest modes of a kind (from {@link kindSpectrum} or physicalSpectrum) over its node positions: the
 * boundary frequency for N_m = 2..K, the eigengap's N_m, its localised basis and regions (modeRegions.ts). Null with
 * fewer than 3 modes. `positions`: dim coordinates per node (default the kind's own).
 */
export function kindSoftModes(kind: Pick<NetworkKind, 'components' | 'dim' | 'edgeA' | 'edgeB'>, lowest: { values: ArrayLike<number>; vectors: Float64Array[] }, positions: Float64Array, dim: 2 | 3 = kind.dim): SoftModeLocalisation | null {
  if (lowest.vectors.length < 3) return null;
  const layout = { components: kind.components, dim };
  const frequency = boundaryFrequency({ values: lowest.values, vectors: lowest.vectors }, positions, kind.edgeA, kind.edgeB, { minModes: 2, ...layout });
  const basis = localiseModes(lowest.vectors.slice(0, frequency.chosenModes), positions, layout);
  return { frequency, basis, regions: binariseModes(basis, kind.edgeA, kind.edgeB, { components: kind.components }) };
}

/** The coupling of a cost Hessian (E x E) with a kind's soft modes, through the kind's per-edge learning signal. */
export function kindCoupling(kind: Pick<NetworkKind, 'edgeA' | 'edgeB' | 'edgeSignal'>, cost: Float64Array, lowest: { values: ArrayLike<number>; vectors: Float64Array[] }, opts: CouplingOptions = {}): CouplingResult {
  return modeCoupling(cost, kind.edgeA.length, lowest, kind.edgeA, kind.edgeB, { edgeSignal: (psi) => kind.edgeSignal(psi), ...opts });
}

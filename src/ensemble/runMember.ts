/**
 * One ensemble member: generate its network and task, train, and measure the diagnostics the spec keeps.
 *
 * Deterministic: every random choice comes from seeds derived from (spec.seed, index) by {@link memberSeeds}, and
 * nothing reads the clock or the worker, so the same spec and index give the same result bit for bit on any worker,
 * at any time (Trainer, solvers and eigen-solvers are sequential and seeded). Synchronous and free of I/O except
 * reading a board model file (kind board), cached per process.
 */
import { InvalidInputError } from '../errors.js';
import { costHessian } from '../diagnostics/costHessian.js';
import { modeCoupling } from '../diagnostics/modeCoupling.js';
import { boundaryFrequency } from '../diagnostics/modeRegions.js';
import { physicalSpectrum } from '../diagnostics/physicalSpectrum.js';
import { stiffModeAlignment } from '../diagnostics/stiffModeAlignment.js';
import { drawConductances } from '../physics/generators/conductanceSpec.js';
import { latticeNetwork } from '../physics/generators/lattice.js';
import { linearTask } from '../physics/generators/linearTask.js';
import { generatorRng } from '../physics/generators/options.js';
import { randomGraphNetwork } from '../physics/generators/randomGraph.js';
import type { Network } from '../physics/Network.js';
import { isNonlinear } from '../physics/nonlinear/learningParameters.js';
import type { Task } from '../physics/Task.js';
import { Trainer } from '../physics/Trainer.js';
import { boardModelNetwork } from '../pipeline/boardModels.js';
import { type EnsembleSpec, isSpringSpec, type ResistorEnsembleSpec } from './EnsembleSpec.js';
import { memberSpringNetwork, memberStrainTask, runSpringMember, type SpringMeasures } from './springMember.js';

/**
 * What one member gives. Units: MSE V^2, eigenvalues S, conductances S, boundary frequency dimensionless. A spring
 * member (src/ensemble/springMember.ts) fills the same fields in its own units: `trainMse` the task error (strain^2),
 * `testMse` null (a strain task has no test set), eigenvalues of the stiffness matrix (energy/length^2),
 * `conductance` the final stiffness per spring (energy/length^2); and `springs`, which resistor members do not have.
 */
export interface MemberResult {
  index: number;
  seeds: { network: number; task: number; order: number };
  /** Steps done (fewer than stop.maxSteps when the target MSE was reached at a check). */
  steps: number;
  /** The stop condition's target MSE was reached (always false when the spec sets no target). */
  converged: boolean;
  /** Final MSE per target output over the training set, V^2. */
  trainMse: number;
  /** Final MSE over the test set, V^2; null when the task has no test examples. */
  testMse: number | null;
  /** Lowest and highest eigenvalue of the free block H_FF of the Laplacian (sources and ground imposed), S. */
  lambdaLow: number;
  lambdaHigh: number;
  /**
   * Largest |cos| between the stiffest cost-Hessian mode and the squared drops of the `modes` softest physical modes
   * (modeCoupling's best.cosine with stiff = 1); null when not kept. Up to {@link MAX_ALIGNMENT_EDGES} edges the full
   * cost Hessian, dense; above, the Gauss-Newton Hessian, matrix-free (stiffModeAlignment.ts; src/ensemble/README.md).
   */
  stiffAlignment: number | null;
  /** Final conductances, one per edge, S. */
  conductance: Float64Array;
  /** f_e per edge (modeRegions.boundaryFrequency over 2..modes localised modes); null when not kept. */
  boundaryFrequency: Float64Array | null;
  edges: number;
  nodes: number;
  /** Spring members only (absent for resistor members, whose stored files are unchanged by it). */
  springs?: SpringMeasures;
}

/**
 * Above this edge count the stiff alignment uses the matrix-free Gauss-Newton path instead of the dense full Hessian,
 * whose E x E eigen-solve takes about a minute at E = 2000.
 */
export const MAX_ALIGNMENT_EDGES = 2000;

/** Mix a 32-bit state (a finaliser of splitmix32 / murmur3): small input changes change every output bit. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * The seeds of member `index`: a hash of (spec.seed, index, stream), one stream each for the network, the task
 * and the example order, so that members and streams draw unrelated numbers. A fixed task seed (task.seed) is used
 * as given.
 */
export function memberSeeds(spec: EnsembleSpec, index: number): MemberResult['seeds'] {
  const derive = (stream: number): number => mix32(mix32(mix32(spec.seed >>> 0) ^ index) + Math.imul(stream, 0x9e3779b9));
  return { network: derive(1), task: (spec.task.kind === 'linear' ? spec.task.seed : null) ?? derive(2), order: derive(3) };
}

const boards = new Map<string, Network>();

/**
 * Member `index`'s graph (nodes, edges, 2D positions when it has them), for either kind: what the dataset's arrays
 * and the statistics' drawings need. Spring members regenerate their network (for jammed ones, a FIRE minimisation).
 */
export function memberGraph(spec: EnsembleSpec, index: number): { nodes: number; edgeA: Int32Array; edgeB: Int32Array; positions?: Float64Array } {
  if (isSpringSpec(spec)) return memberSpringNetwork(spec, memberSeeds(spec, index).network);
  return memberNetwork(spec, index);
}

/**
 * Check member `index`'s network and task against each other (node ids, "auto" pairs that can be picked) before a
 * run starts: bad input (InvalidInputError) here is exit 2 before any worker runs.
 */
export function checkMember(spec: EnsembleSpec, index: number): void {
  if (isSpringSpec(spec)) {
    const seeds = memberSeeds(spec, index);
    const net = memberSpringNetwork(spec, seeds.network);
    const t = memberStrainTask(spec, seeds.task, net);
    for (const [name, p] of [['source', t.source], ['target', t.target]] as const) {
      for (const v of p) {
        if (v >= net.nodes) throw new InvalidInputError({ source: 'ensemble spec', field: `task.${name}` }, `node ${v} is used but member ${index}'s network has nodes 0..${net.nodes - 1}`, 'use node ids below the network\'s node count, or "auto"');
      }
    }
    return;
  }
  const net = memberNetwork(spec, index);
  memberTask(spec, index, net.nodes);
}

/** Member `index`'s resistor network before training (its initial conductances drawn from its network seed). */
export function memberNetwork(spec: EnsembleSpec, index: number): Network {
  if (isSpringSpec(spec)) throw new Error('memberNetwork: a spring ensemble\'s members are spring networks (memberGraph, springMember.memberSpringNetwork)');
  const seed = memberSeeds(spec, index).network;
  const g = spec.network;
  const source = 'ensemble network';
  if (g.kind === 'lattice') {
    return latticeNetwork({ rows: g.rows, cols: g.cols, diagonals: g.diagonals, periodic: g.periodic, seed, conductance: g.conductance ?? undefined, bounds: g.bounds ?? undefined });
  }
  if (g.kind === 'random') {
    return randomGraphNetwork({ nodes: g.nodes, meanDegree: g.meanDegree, seed, conductance: g.conductance ?? undefined, bounds: g.bounds ?? undefined });
  }
  let board = boards.get(g.model);
  if (!board) {
    board = boardModelNetwork(g.model);
    if (isNonlinear(board)) {
      throw new InvalidInputError({ source, field: 'network.model' }, `board model ${g.model} has nonlinear (transistor or diode) edges; ensembles train linear resistor networks`, 'use a resistor board model (penn-gen1, clln-ref16)');
    }
    boards.set(g.model, board);
  }
  const bounds: [number, number] = board.bounds ?? [1e-6, 1e6];
  const conductance = g.conductance === null ? Float64Array.from(board.conductance) : drawConductances(board.edgeA.length, g.conductance, generatorRng(seed, 'ensembleBoard'), true, bounds, source);
  return { ...board, conductance, taps: undefined };
}

/** Member `index`'s task (node ids checked against its network's node count). */
export function memberTask(spec: EnsembleSpec, index: number, nodes: number): Task {
  if (isSpringSpec(spec)) throw new Error('memberTask: a spring ensemble\'s tasks are strain tasks (springMember.memberStrainTask)');
  const t = spec.task;
  return linearTask({ matrix: t.matrix, sources: t.sources, targets: t.targets, ground: t.ground, count: t.count, test: t.test, inputRange: t.inputRange, seed: memberSeeds(spec, index).task, nodes });
}

/**
 * Train member `index` and measure it. See the file comment for determinism.
 * @param onProgress called every ~1 % of the steps with (steps done, stop.maxSteps)
 */
export function runMember(spec: EnsembleSpec, index: number, onProgress?: (stepsDone: number, steps: number) => void): MemberResult {
  if (!(Number.isInteger(index) && index >= 0 && index < spec.members)) {
    throw new InvalidInputError({ source: 'runMember', field: 'index' }, `must be an integer in 0..${spec.members - 1}, got ${index}`);
  }
  const seeds = memberSeeds(spec, index);
  if (isSpringSpec(spec)) {
    const r = runSpringMember(spec, seeds, onProgress);
    return {
      index, seeds, steps: r.steps, converged: r.converged, trainMse: r.error, testMse: null, lambdaLow: r.lambdaLow, lambdaHigh: r.lambdaHigh,
      stiffAlignment: r.stiffAlignment, conductance: r.stiffness, boundaryFrequency: r.boundaryFrequency, edges: r.edges, nodes: r.nodes, springs: r.springs,
    };
  }
  const net = memberNetwork(spec, index);
  const task = memberTask(spec, index, net.nodes);
  const tr = spec.training;
  const { maxSteps, targetMse, checkEvery, on } = spec.stop;
  const trainer = new Trainer(net, task, { rule: tr.rule, eta: tr.eta, beta: tr.beta, alpha: tr.alpha, order: tr.order, method: tr.method, steps: maxSteps, seed: seeds.order });
  const checked = on === 'test' && task.test.length > 0 ? task.test : task.train;
  let converged = false;
  const every = Math.max(1, Math.floor(maxSteps / 100));
  while (trainer.stepCount < maxSteps) {
    trainer.step();
    const s = trainer.stepCount;
    if (onProgress && (s % every === 0 || s === maxSteps)) onProgress(s, maxSteps);
    if (targetMse !== null && (s % checkEvery === 0 || s === maxSteps) && trainer.mse(checked) <= targetMse) {
      converged = true;
      break;
    }
  }
  if (targetMse !== null && maxSteps === 0 && trainer.mse(checked) <= targetMse) converged = true;
  const conductance = Float64Array.from(trainer.conductance);
  const trainMse = trainer.mse(task.train);
  const testMse = task.test.length > 0 ? trainer.mse(task.test) : null;

  const trained: Network = { ...net, conductance };
  const d = diagnose(spec, trained, task);
  return { index, seeds, steps: trainer.stepCount, converged, trainMse, testMse, ...d, conductance, edges: net.edgeA.length, nodes: net.nodes };
}

/** The diagnostics of a trained member, on the free block H_FF (sources and ground imposed), as clln diagnose takes them. */
function diagnose(spec: ResistorEnsembleSpec, net: Network, task: Task): Pick<MemberResult, 'lambdaLow' | 'lambdaHigh' | 'stiffAlignment' | 'boundaryFrequency'> {
  const imposed = Int32Array.from([...task.sources, ...task.ground]);
  const rows = net.nodes - imposed.length;
  const lowest = physicalSpectrum(net, { imposed, which: 'lowest', k: Math.min(rows, spec.diagnostics.modes) });
  const highest = physicalSpectrum(net, { imposed, which: 'highest', k: 1 });
  const E = net.edgeA.length;
  let stiffAlignment: number | null = null;
  if (spec.diagnostics.alignment && task.train.length > 0) {
    if (E <= MAX_ALIGNMENT_EDGES) {
      const h = costHessian(net, task);
      const c = modeCoupling(h.full ?? h.gaussNewton, E, { values: lowest.values, vectors: lowest.vectors }, net.edgeA, net.edgeB, { stiff: 1 });
      stiffAlignment = c.best.cosine;
    } else {
      // The full Hessian's second-order term needs E transfer-resistance solves and E x E storage; near a fit it is
      // small (proportional to the residuals), so large members use the Gauss-Newton part, matrix-free.
      stiffAlignment = stiffModeAlignment(net, task, { values: lowest.values, vectors: lowest.vectors }).cosine;
    }
  }
  let frequency: Float64Array | null = null;
  if (spec.diagnostics.boundaryFrequency && net.positions && lowest.vectors.length >= 3) {
    frequency = boundaryFrequency({ values: lowest.values, vectors: lowest.vectors }, net.positions, net.edgeA, net.edgeB, { minModes: 2 }).f;
  }
  return { lambdaLow: lowest.values[0], lambdaHigh: highest.values[0], stiffAlignment, boundaryFrequency: frequency };
}

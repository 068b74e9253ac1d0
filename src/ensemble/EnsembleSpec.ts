/**
 * The ensemble spec, `clln.ensemble/1` (src/formats/schemas/clln.ensemble-1.schema.json, src/ensemble/README.md):
 * read and validated once, at the entry point, into a fully defaulted {@link EnsembleSpec}. Everything downstream
 * (runMember, the pool, the queue, the dataset) takes the resolved spec and checks nothing again.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { InvalidInputError, show } from '../errors.js';
import { readJsonFile } from '../formats/jsonFile.js';
import { checkAgainstSchema } from '../formats/schemaCheck.js';
import { DEFAULT_SPRING_ALPHA } from '../physics/springs/SpringTrainer.js';

export type ConductanceChoice = number | [number, number];

export type NetworkGenerator =
  | { kind: 'lattice'; rows: number; cols: number; diagonals: boolean; periodic: boolean; conductance: ConductanceChoice | null; bounds: [number, number] | null }
  | { kind: 'random'; nodes: number; meanDegree: number; conductance: ConductanceChoice | null; bounds: [number, number] | null }
  | { kind: 'board'; model: string; conductance: ConductanceChoice | null };

export interface LinearTaskGenerator {
  kind: 'linear';
  /** M, targets x sources, dimensionless. */
  matrix: number[][];
  sources: number[];
  targets: number[];
  ground: number[];
  count: number;
  test: number;
  /** Source voltage range [lo, hi) in V. */
  inputRange: [number, number];
  /** Fixed task seed (every member learns the same examples), or null: one task per member from its own seed. */
  seed: number | null;
}

/** A spring-network generator (src/physics/springs/generators). Stiffness in energy/length^2. */
export type SpringNetworkGenerator = {
  kind: 'springs';
  /** Initial stiffness: a constant or a range drawn per spring from the member's network seed. */
  stiffness: ConductanceChoice;
  /** Learning bounds [k_min, k_max] (energy/length^2). */
  bounds: [number, number];
} & (
  | { generator: 'triangular'; rows: number; cols: number; coordination: number | null; disorder: number }
  | { generator: 'jammed'; disks: number; phi: number }
);

/** A strain task (src/physics/springs/StrainTask.ts), its pairs fixed or picked per member ('auto'). */
export interface StrainTaskGenerator {
  kind: 'strain';
  source: [number, number] | 'auto';
  target: [number, number] | 'auto';
  /** Desired target strain Delta (dimensionless). */
  delta: number;
  /** Strain imposed at the source (dimensionless, default 1). */
  sourceStrain: number;
  cooperative: boolean;
  lambda: number;
}

interface EnsembleSpecBase {
  format: 'clln.ensemble/1';
  name: string;
  members: number;
  seed: number;
  /** targetMse: V^2 for resistors, strain^2 for springs (the mean over directions of (eps_T^F - Delta)^2). */
  stop: { maxSteps: number; targetMse: number | null; checkEvery: number; on: 'test' | 'train' };
  diagnostics: { alignment: boolean; boundaryFrequency: boolean; modes: number };
}

/** A resolved ensemble of resistor networks learning a linear task. */
export interface ResistorEnsembleSpec extends EnsembleSpecBase {
  network: NetworkGenerator;
  task: LinearTaskGenerator;
  training: { rule: 'cl' | 'ep' | 'cep' | 'gradient'; eta: number; beta: number; alpha: number; order: 'sequential' | 'shuffle'; method: 'auto' | 'cholesky' | 'cg' };
}

/** A resolved ensemble of spring networks learning a strain task (stop.on is always 'train': no test set). */
export interface SpringEnsembleSpec extends EnsembleSpecBase {
  network: SpringNetworkGenerator;
  task: StrainTaskGenerator;
  /** As SpringTrainer: alpha in energy/length^4 (cl) or energy^2/length^4 (gradient). */
  training: { rule: 'cl' | 'gradient'; eta: number; alpha: number };
}

/** A resolved clln.ensemble/1 spec: every field present, defaults filled in. */
export type EnsembleSpec = ResistorEnsembleSpec | SpringEnsembleSpec;

/** Whether a spec is an ensemble of spring networks. */
export function isSpringSpec(spec: EnsembleSpec): spec is SpringEnsembleSpec {
  return spec.network.kind === 'springs';
}

/** Read, validate and default a spec file. Bad input: InvalidInputError (exit 2) naming the file and field. */
export function readEnsembleSpec(path: string): EnsembleSpec {
  const json = readJsonFile(path, 'ensemble spec');
  return parseEnsembleSpec(json, path);
}

/**
 * Validate and default a parsed spec.
 * @param source the file (or other origin) named in messages; its base name is the default `name`
 */
export function parseEnsembleSpec(json: unknown, source: string): EnsembleSpec {
  const net = (json as { network?: { kind?: unknown; generator?: unknown } } | null)?.network;
  // the kind picks the form of network's oneOf; named first, a wrong kind is not reported as some form's missing field
  if (net && typeof net === 'object' && !['lattice', 'random', 'board', 'springs'].includes(net.kind as string)) {
    throw new InvalidInputError({ source, field: 'network.kind' }, `must be one of lattice, random, board, springs, got ${show(net.kind)}`, 'use kind lattice, random, board or springs');
  }
  if (net && typeof net === 'object' && net.kind === 'springs' && !['triangular', 'jammed'].includes(net.generator as string)) {
    throw new InvalidInputError({ source, field: 'network.generator' }, `a spring network's generator must be triangular or jammed, got ${show(net.generator)}`, 'set "generator": "triangular" (rows, cols, coordination, disorder) or "jammed" (disks, phi)');
  }
  const taskKind = (json as { task?: { kind?: unknown } } | null)?.task?.kind;
  if (taskKind !== undefined && !['linear', 'strain'].includes(taskKind as string)) {
    throw new InvalidInputError({ source, field: 'task.kind' }, `must be linear or strain, got ${show(taskKind)}`, 'use kind linear (resistor networks) or strain (spring networks)');
  }
  // a task of the other kind of network: one paragraph saying which goes with which, before the schema's field errors
  const springs = net && typeof net === 'object' && net.kind === 'springs';
  if (net && typeof net === 'object' && taskKind !== undefined && springs !== (taskKind === 'strain')) {
    throw new InvalidInputError(
      { source, field: 'task.kind' },
      springs ? 'is linear, but a spring network learns a strain task (source and target node pairs), not voltages' : `is strain, but a ${String(net.kind)} network is a resistor network, which learns a linear task (voltages), not strains`,
      springs ? 'use "task": {"kind": "strain", "source": "auto", "target": "auto", "delta": 0.05}' : 'use a spring network ("kind": "springs") for a strain task, or a linear task for this network',
    );
  }
  checkAgainstSchema(json, 'clln.ensemble/1', source);
  const doc = json as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked by the schema above
  if (doc.network.kind === 'springs') return parseSpringSpec(doc, source);
  const n = doc.network;
  let network: NetworkGenerator;
  const bounds = (b: unknown, field: string): [number, number] | null => {
    if (b === undefined) return null;
    const [lo, hi] = b as [number, number];
    if (!(lo <= hi)) throw new InvalidInputError({ source, field }, `must satisfy k_min <= k_max, got ${show(b)}`, 'give [k_min, k_max] in siemens, smaller first');
    return [lo, hi];
  };
  const conductance = (c: unknown, field: string): ConductanceChoice | null => {
    if (c === undefined) return null;
    if (typeof c === 'number') return c;
    const [lo, hi] = c as [number, number];
    if (!(lo <= hi)) throw new InvalidInputError({ source, field }, `range must satisfy lo <= hi, got ${show(c)}`, 'give [lo, hi] in siemens, smaller first');
    return [lo, hi];
  };
  if (n.kind === 'lattice') {
    if (n.rows * n.cols < 2) throw new InvalidInputError({ source, field: 'network.rows' }, `a ${n.rows}x${n.cols} lattice has a single node`, 'use at least 2 nodes, e.g. 4x4');
    if (n.periodic === true && (n.rows < 3 || n.cols < 3)) throw new InvalidInputError({ source, field: 'network.periodic' }, `a periodic lattice needs rows >= 3 and cols >= 3, got ${n.rows}x${n.cols}`, 'set periodic false or use at least 3x3');
    network = { kind: 'lattice', rows: n.rows, cols: n.cols, diagonals: n.diagonals ?? false, periodic: n.periodic ?? false, conductance: conductance(n.conductance, 'network.conductance'), bounds: bounds(n.bounds, 'network.bounds') };
  } else if (n.kind === 'random') {
    network = { kind: 'random', nodes: n.nodes, meanDegree: n.meanDegree, conductance: conductance(n.conductance, 'network.conductance'), bounds: bounds(n.bounds, 'network.bounds') };
  } else {
    network = { kind: 'board', model: n.model, conductance: conductance(n.conductance, 'network.conductance') };
  }

  const t = doc.task;
  const sources: number[] = t.sources;
  const targets: number[] = t.targets;
  const ground: number[] = t.ground ?? [];
  if (targets.length === 0) throw new InvalidInputError({ source, field: 'task.targets' }, 'must list at least one node', 'give the output node ids');
  if (sources.length + ground.length === 0) throw new InvalidInputError({ source, field: 'task.sources' }, 'sources and ground are both empty, so no voltage is imposed', 'give at least one source or ground node');
  const roles = new Map<number, string>();
  for (const [name, list] of [['sources', sources], ['targets', targets], ['ground', ground]] as const) {
    list.forEach((id, i) => {
      const first = roles.get(id);
      if (first) throw new InvalidInputError({ source, field: `task.${name}[${i}]` }, `node ${id} is also listed in task.${first}; a node has one role`, `remove node ${id} from one of them`);
      roles.set(id, name);
    });
  }
  const maxId = Math.max(...sources, ...targets, ...ground);
  const nodes = network.kind === 'lattice' ? network.rows * network.cols : network.kind === 'random' ? network.nodes : undefined;
  if (nodes !== undefined && maxId >= nodes) {
    throw new InvalidInputError({ source, field: 'task' }, `node ${maxId} is used by the task but the ${network.kind} network has nodes 0..${nodes - 1}`, 'use node ids below the network\'s node count');
  }
  const matrix: number[][] = t.matrix;
  if (matrix.length !== targets.length) throw new InvalidInputError({ source, field: 'task.matrix' }, `must have one row per target (${targets.length}), got ${matrix.length}`, 'give one row per target');
  matrix.forEach((row, i) => {
    if (row.length !== sources.length) throw new InvalidInputError({ source, field: `task.matrix[${i}]` }, `must have one entry per source (${sources.length}), got ${row.length}`, 'give one entry per source in every row');
  });
  const inputRange: [number, number] = t.inputRange ?? [0, 1];
  if (!(inputRange[0] < inputRange[1])) throw new InvalidInputError({ source, field: 'task.inputRange' }, `must be [lo, hi] with lo < hi, got ${show(inputRange)}`, 'give e.g. [0, 1] (volts)');
  const task: LinearTaskGenerator = { kind: 'linear', matrix, sources, targets, ground, count: t.count ?? 40, test: t.test ?? 20, inputRange: [inputRange[0], inputRange[1]], seed: t.seed ?? null };

  const tr = doc.training ?? {};
  const st = doc.stop ?? {};
  const on: 'test' | 'train' = st.on ?? 'test';
  if (on === 'test' && task.test === 0 && st.on === 'test') {
    throw new InvalidInputError({ source, field: 'stop.on' }, 'is test but the task has no test examples (task.test is 0)', 'set stop.on to train, or give task.test > 0');
  }
  return {
    format: 'clln.ensemble/1',
    name: doc.name ?? basename(source).replace(/\.json$/i, ''),
    members: doc.members,
    seed: doc.seed ?? 0,
    network,
    task,
    training: { rule: tr.rule ?? 'cl', eta: tr.eta ?? 0.1, beta: tr.beta ?? 0.01, alpha: tr.alpha ?? 0.5, order: tr.order ?? 'shuffle', method: tr.method ?? 'auto' },
    // without test examples the check falls back to the training MSE (documented in the schema)
    stop: { maxSteps: st.maxSteps ?? 1000, targetMse: st.targetMse ?? null, checkEvery: st.checkEvery ?? 100, on: task.test === 0 ? 'train' : on },
    diagnostics: diagnosticsOf(doc),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked by the schema
function diagnosticsOf(doc: Record<string, any>): EnsembleSpec['diagnostics'] {
  const dg = doc.diagnostics ?? {};
  return { alignment: dg.alignment ?? true, boundaryFrequency: dg.boundaryFrequency ?? true, modes: dg.modes ?? 10 };
}

/**
 * The spring part of {@link parseEnsembleSpec}, after the schema: defaults as SpringTrainer's (eta 0.1, alpha 30) and
 * the generators' (stiffness 1, bounds [lo / 1000, 1000 hi], disorder 0, phi 0.9), and the rules a schema cannot say.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked by the schema
function parseSpringSpec(doc: Record<string, any>, source: string): SpringEnsembleSpec {
  const n = doc.network;
  const stiffness: ConductanceChoice = n.stiffness ?? 1;
  const [lo, hi] = typeof stiffness === 'number' ? [stiffness, stiffness] : stiffness;
  if (!(lo <= hi)) throw new InvalidInputError({ source, field: 'network.stiffness' }, `range must satisfy lo <= hi, got ${show(stiffness)}`, 'give [lo, hi] in energy/length^2, smaller first');
  const bounds: [number, number] = n.bounds ? [n.bounds[0], n.bounds[1]] : [lo / 1000, hi * 1000];
  if (!(bounds[0] <= bounds[1])) throw new InvalidInputError({ source, field: 'network.bounds' }, `must satisfy k_min <= k_max, got ${show(n.bounds)}`, 'give [k_min, k_max] in energy/length^2, smaller first');
  if (lo < bounds[0] || hi > bounds[1]) {
    throw new InvalidInputError({ source, field: 'network.stiffness' }, `${show(stiffness)} lies outside the bounds ${show(bounds)}`, 'choose a stiffness inside network.bounds, or widen the bounds');
  }
  const network: SpringNetworkGenerator =
    n.generator === 'triangular'
      ? { kind: 'springs', generator: 'triangular', rows: n.rows, cols: n.cols, coordination: n.coordination ?? null, disorder: n.disorder ?? 0, stiffness, bounds }
      : { kind: 'springs', generator: 'jammed', disks: n.disks, phi: n.phi ?? 0.9, stiffness, bounds };

  const t = doc.task;
  const pairs: [string, [number, number] | 'auto'][] = [['source', t.source], ['target', t.target]];
  const nodes = network.generator === 'triangular' ? network.rows * network.cols : undefined;
  for (const [name, p] of pairs) {
    if (p === 'auto') continue;
    if (p[0] === p[1]) throw new InvalidInputError({ source, field: `task.${name}` }, `joins node ${p[0]} to itself, which has no strain`, 'give two different node ids, or "auto"');
    // a jammed network's node count is known only once generated (its pruning removes disks): checked on member 0
    if (nodes !== undefined && Math.max(p[0], p[1]) >= nodes) {
      throw new InvalidInputError({ source, field: `task.${name}` }, `node ${Math.max(p[0], p[1])} is used but the ${n.rows}x${n.cols} triangular network has nodes 0..${nodes - 1}`, "use node ids below the network's node count, or \"auto\"");
    }
  }
  if (t.source !== 'auto' && t.target !== 'auto' && Math.min(...t.source) === Math.min(...t.target) && Math.max(...t.source) === Math.max(...t.target)) {
    throw new InvalidInputError({ source, field: 'task.target' }, `is the source pair ${show(t.source)} again: one pair cannot be strained and respond`, 'give a different target pair, or "auto"');
  }
  if (t.sourceStrain === 0) throw new InvalidInputError({ source, field: 'task.sourceStrain' }, 'is 0, so the source imposes nothing', 'give a nonzero strain, e.g. 1 (the default)');
  const task: StrainTaskGenerator = {
    kind: 'strain',
    source: t.source === 'auto' ? 'auto' : [t.source[0], t.source[1]],
    target: t.target === 'auto' ? 'auto' : [t.target[0], t.target[1]],
    delta: t.delta,
    sourceStrain: t.sourceStrain ?? 1,
    cooperative: t.cooperative ?? false,
    lambda: t.lambda ?? 0,
  };

  const tr = doc.training ?? {};
  for (const f of ['beta', 'order', 'method']) {
    if (tr[f] !== undefined) throw new InvalidInputError({ source, field: `training.${f}` }, `applies to resistor networks; a spring network's training takes rule, eta and alpha only`, `remove training.${f}`);
  }
  if (tr.rule !== undefined && tr.rule !== 'cl' && tr.rule !== 'gradient') {
    throw new InvalidInputError({ source, field: 'training.rule' }, `is ${show(tr.rule)}, but spring networks learn with cl or gradient (there is no ep or cep for strain tasks)`, 'use rule cl (coupled learning) or gradient (the exact-gradient reference)');
  }
  const st = doc.stop ?? {};
  if (st.on === 'test') {
    throw new InvalidInputError({ source, field: 'stop.on' }, 'is test, but a strain task has no test set: its one example per direction is what it trains on', 'set stop.on to train or leave it out');
  }
  return {
    format: 'clln.ensemble/1',
    name: doc.name ?? basename(source).replace(/\.json$/i, ''),
    members: doc.members,
    seed: doc.seed ?? 0,
    network,
    task,
    training: { rule: tr.rule ?? 'cl', eta: tr.eta ?? 0.1, alpha: tr.alpha ?? DEFAULT_SPRING_ALPHA },
    stop: { maxSteps: st.maxSteps ?? 1000, targetMse: st.targetMse ?? null, checkEvery: st.checkEvery ?? 100, on: 'train' },
    diagnostics: diagnosticsOf(doc),
  };
}

/**
 * The resolved spec as a clln.ensemble/1 document (null fields left out, so the schema accepts it): parsing it gives
 * the same spec back. Written as DIR/spec.json and sent to workers.
 */
export function specDocument(spec: EnsembleSpec): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  return strip(spec);
}

/** Number of members of the ensemble. */
export function memberCount(spec: EnsembleSpec): number {
  return spec.members;
}

/** JSON with object keys sorted at every level: the same spec gives the same text whatever order it was written in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the resolved spec's canonical JSON: identifies the ensemble in datasets and queues. */
export function specDigest(spec: EnsembleSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

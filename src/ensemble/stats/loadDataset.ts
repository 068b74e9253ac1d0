/**
 * The one place `clln ensemble stats` reads a dataset: streamed through `openDataset(dir)` (src/ensemble/
 * dataset.ts), one member at a time into an EnsembleAccumulator (ensembleStatistics.ts), and, for drawing f_e, the
 * members' network rebuilt from the spec (`memberNetwork`). No member's arrays outlive its turn: memory does not grow
 * with the number of members beyond a few scalars each.
 *
 * Tests inject a source instead (whole datasets in memory, `readDataset`, or a stream, `openDataset`).
 */
import { basename, resolve } from 'node:path';
import { openDataset } from '../dataset.js';
import { memberGraph } from '../runMember.js';
import { EnsembleAccumulator, RESISTOR_STATS_UNITS, SPRING_STATS_UNITS, type StatsUnits } from './ensembleStatistics.js';
import type { EnsembleNames, FailedMember, MemberResult, SharedTopology, StoredMember } from './types.js';

/** A whole dataset in memory (spec and meta are read tolerantly, for names only). */
export interface DatasetContents {
  spec: unknown;
  meta: unknown;
  members: MemberResult[];
  failed?: FailedMember[];
}

/** A dataset read member by member: `total` members (finished and failed) from `members()`, in index order. */
export interface DatasetStreamLike {
  spec: unknown;
  meta: unknown;
  total: number;
  members(): Iterable<StoredMember>;
}

/** The network of member `index` (nodes, edges, positions), when the ensemble module can rebuild it. */
export type MemberNetwork = (spec: never, index: number) => { nodes: number; edgeA: Int32Array; edgeB: Int32Array; positions?: Float64Array };

/** How the statistics reach a dataset: streamed (`openDataset`, the default) or whole (`readDataset`, tests). */
export interface DatasetSource {
  openDataset?(dir: string): DatasetStreamLike | Promise<DatasetStreamLike>;
  readDataset?(dir: string): DatasetContents | Promise<DatasetContents>;
  /** Rebuilds a member's network from the spec (optional: without it f_e is averaged by edge number, not drawn). */
  memberNetwork?: MemberNetwork;
}

/** A loaded ensemble: its statistics' accumulator (every member added), names, and whether the members share one network. */
export interface LoadedEnsemble {
  dir: string;
  /** Every member fed to it; `finish(options)` gives the statistics. */
  accumulator: EnsembleAccumulator;
  /** Finished members (with results). */
  members: number;
  /** Failed members (their computation threw). */
  failed: number;
  names: EnsembleNames;
  /** The network every member shares, for drawing f_e; null with `topologyNote` saying why. */
  topology: SharedTopology | null;
  topologyNote: string | null;
  /** Set when the members are known to have different networks: f_e is then not averaged edge by edge. */
  topologyDiffers: string | undefined;
  /** K, the soft modes the alignment is the largest |cos| over (see {@link alignmentModes}). */
  alignmentModes: number;
  /** The spec's own success criterion, `stop.targetMse` (V^2; strain^2 for springs), when it has one. */
  targetMse: number | null;
  /** The network kind's names and units, and its default success threshold (springs: (Delta / 10)^2). */
  units: StatsUnits;
  defaultThreshold: { value: number; why: string } | undefined;
}

/** The dataset reader of src/ensemble/dataset.ts (streamed) and its member-network builder. */
export async function defaultSource(): Promise<DatasetSource> {
  return { openDataset, memberNetwork: memberGraph };
}

/** A whole dataset as a stream (finished members in index order, then the failed ones). */
function streamOf(c: DatasetContents): DatasetStreamLike {
  const failed = c.failed ?? [];
  return {
    spec: c.spec,
    meta: c.meta,
    total: c.members.length + failed.length,
    *members() {
      for (const result of c.members) yield { status: 'ok', result } as StoredMember;
      for (const failure of failed) yield { status: 'failed', failure } as StoredMember;
    },
  };
}

/**
 * Read the dataset in `dir` through `source` (default: src/ensemble/dataset.ts's openDataset), one member at a time,
 * into the statistics' accumulator, and find whether the members share one network.
 */
export async function loadEnsembleDataset(dir: string, source?: DatasetSource, options: { resamples?: number; seed?: number } = {}): Promise<LoadedEnsemble> {
  const src = source ?? (await defaultSource());
  const stream = src.openDataset ? await src.openDataset(dir) : src.readDataset ? streamOf(await src.readDataset(dir)) : null;
  if (!stream) throw new Error('loadEnsembleDataset: the source has neither openDataset nor readDataset');
  const { spec, meta } = stream;
  const names = ensembleNames(dir, spec, meta);
  const accumulator = new EnsembleAccumulator(stream.total, options);
  const topology = new TopologyTracker(spec, src.memberNetwork);
  let members = 0;
  let failed = 0;
  let minNodes = Infinity;
  for (const s of stream.members()) {
    if (s.status === 'failed') {
      failed++;
      accumulator.addFailed(s.failure);
      continue;
    }
    members++;
    accumulator.add(s.result);
    topology.add(s.result);
    minNodes = Math.min(minNodes, s.result.nodes);
  }
  const target = field(field(spec, 'stop'), 'targetMse');
  const springs = field(field(spec, 'network'), 'kind') === 'springs';
  const delta = field(field(spec, 'task'), 'delta');
  // a strain task's error is (eps_T^F - Delta)^2: success is an RMS miss within 10 % of the desired strain |Delta|
  const defaultThreshold = springs && typeof delta === 'number' && delta !== 0 ? { value: (delta / 10) ** 2, why: `the default for a strain task: (Delta / 10)^2, an RMS miss of 10 % of the desired target strain Delta = ${delta}` } : undefined;
  return {
    units: springs ? SPRING_STATS_UNITS : RESISTOR_STATS_UNITS,
    defaultThreshold,
    dir,
    accumulator,
    members,
    failed,
    names,
    ...topology.result(),
    alignmentModes: alignmentModes(spec, minNodes),
    targetMse: typeof target === 'number' && Number.isFinite(target) && target > 0 ? target : null,
  };
}

/**
 * The number K of soft modes a member's alignment is the largest |cos| over: runMember passes the spec's
 * `diagnostics.modes` lowest modes of the free block H_FF to modeCoupling, which compares at most 10 of them, and
 * H_FF has one mode per free node (nodes - sources - ground). 1 when the spec does not say (then the one-mode null).
 * @param minNodes the fewest nodes of a finished member (Infinity when there is none)
 */
export function alignmentModes(spec: unknown, minNodes: number): number {
  const modes = field(field(spec, 'diagnostics'), 'modes');
  if (typeof modes !== 'number' || !Number.isInteger(modes) || modes < 1) return 1;
  const task = field(spec, 'task');
  const ids = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
  const imposed = new Set([...ids(field(task, 'sources')), ...ids(field(task, 'ground'))]).size;
  return Math.max(1, Math.min(10, modes, minNodes - imposed));
}

/**
 * Whether the members share one network, decided member by member: equal sizes are necessary; with a member-network
 * builder every member's edges (and node positions) are compared with the first's, which tells a fixed lattice
 * (shared) from random graphs of one size (not shared); the first difference ends the comparisons. Without a builder
 * nothing can be drawn. Holds the first member's network only.
 */
export class TopologyTracker {
  private first: { index: number; net: ReturnType<MemberNetwork> | null } | null = null;
  private readonly sizes = new Set<string>();
  private differs: string | undefined;

  constructor(
    private readonly spec: unknown,
    private readonly memberNetwork: MemberNetwork | undefined,
  ) {}

  add(m: Pick<MemberResult, 'index' | 'nodes' | 'edges'>): void {
    if (this.sizes.size <= 4) this.sizes.add(`${m.nodes}/${m.edges}`);
    if (this.sizes.size > 1 || this.differs !== undefined) return;
    if (this.first === null) {
      this.first = { index: m.index, net: this.memberNetwork ? this.memberNetwork(this.spec as never, m.index) : null };
      return;
    }
    const first = this.first.net;
    if (!first || !this.memberNetwork) return;
    const net = this.memberNetwork(this.spec as never, m.index);
    const same = net.nodes === first.nodes && equal(net.edgeA, first.edgeA) && equal(net.edgeB, first.edgeB) && (first.positions === undefined || (net.positions !== undefined && equal(net.positions, first.positions)));
    if (!same) this.differs = `member ${m.index}'s network differs from member ${this.first.index}'s (e.g. random graphs: same size, different edges): f_e is not averaged edge by edge`;
  }

  result(): Pick<LoadedEnsemble, 'topology' | 'topologyNote' | 'topologyDiffers'> {
    if (this.first === null) return { topology: null, topologyNote: 'no members', topologyDiffers: undefined };
    if (this.sizes.size > 1) {
      const why = `the members differ in size (${[...this.sizes].slice(0, 4).join(', ')}${this.sizes.size > 4 ? ', ...' : ''} nodes/edges): no common network to average f_e on`;
      return { topology: null, topologyNote: why, topologyDiffers: why };
    }
    if (this.differs !== undefined) return { topology: null, topologyNote: this.differs, topologyDiffers: this.differs };
    const first = this.first.net;
    if (!first) {
      return { topology: null, topologyNote: 'the ensemble module does not rebuild a member\'s network (memberNetwork), so the shared network cannot be drawn; f_e is averaged by edge number', topologyDiffers: undefined };
    }
    if (!first.positions) return { topology: null, topologyNote: 'the members\' network has no node positions to draw', topologyDiffers: undefined };
    return { topology: { positions: first.positions, edgeA: first.edgeA, edgeB: first.edgeB, roles: taskRoles(this.spec, first.nodes) }, topologyNote: null, topologyDiffers: undefined };
  }
}

/** The spec's task roles (sources, ground, targets: node ids < nodes), or undefined when it has none that fit. */
function taskRoles(spec: unknown, nodes: number): SharedTopology['roles'] {
  const task = field(spec, 'task');
  const ids = (v: unknown): number[] | null => (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x < nodes) ? (v as number[]) : null);
  const sources = ids(field(task, 'sources') ?? []);
  const ground = ids(field(task, 'ground') ?? []);
  const targets = ids(field(task, 'targets') ?? []);
  return sources && ground && targets && sources.length + ground.length + targets.length > 0 ? { sources, ground, targets } : undefined;
}

function equal(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const field = (o: unknown, ...keys: string[]): unknown => {
  if (typeof o !== 'object' || o === null) return undefined;
  for (const k of keys) if ((o as Record<string, unknown>)[k] !== undefined) return (o as Record<string, unknown>)[k];
  return undefined;
};

/** A short description of a spec part: a string as is; an object by its kind and its scalar fields, clipped. */
function describe(x: unknown, fallback: string): string {
  if (typeof x === 'string') return x.slice(0, 60);
  if (typeof x !== 'object' || x === null) return fallback;
  const o = x as Record<string, unknown>;
  const kind = ['kind', 'type', 'generator', 'name'].map((k) => o[k]).find((v) => typeof v === 'string') as string | undefined;
  const rest = Object.entries(o)
    .filter(([k, v]) => !['kind', 'type', 'generator', 'name'].includes(k) && (typeof v === 'number' || typeof v === 'string'))
    .map(([k, v]) => `${k} ${String(v)}`);
  const text = [kind, ...rest].filter(Boolean).join(', ');
  return text ? (text.length > 60 ? `${text.slice(0, 57)}...` : text) : fallback;
}

/** Names of the ensemble from its spec and meta (read tolerantly: only for labels), else from the folder. */
export function ensembleNames(dir: string, spec: unknown, meta: unknown): EnsembleNames {
  const name = field(spec, 'name');
  const digest = field(meta, 'specDigest', 'spec_digest', 'digest');
  const base = typeof name === 'string' && name ? name : basename(resolve(dir));
  return {
    ensemble: typeof digest === 'string' ? `${base} (spec ${digest.slice(0, 12)})` : base,
    network: describe(field(spec, 'network', 'generator', 'member', 'members'), 'member networks'),
    task: describe(field(spec, 'task', 'tasks'), 'member tasks'),
  };
}

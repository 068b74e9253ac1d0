/**
 * The one place `clln ensemble stats` reads a dataset: through the contract's `readDataset(dir)` (src/ensemble/
 * dataset.ts, helper E1), and, for drawing f_e, the members' network from the ensemble module when it offers one.
 *
 * Tests inject a reader instead.
 */
import { basename, resolve } from 'node:path';
import { readDataset } from '../dataset.js';
import { memberNetwork } from '../runMember.js';
import type { EnsembleNames, MemberResult, SharedTopology } from './types.js';

/** What readDataset returns (the contract's shape; spec and meta are read tolerantly, for names only). */
export interface DatasetContents {
  spec: unknown;
  meta: unknown;
  members: MemberResult[];
}

/** The network of member `index` (nodes, edges, positions), when the ensemble module can rebuild it. */
export type MemberNetwork = (spec: never, index: number) => { nodes: number; edgeA: Int32Array; edgeB: Int32Array; positions?: Float64Array };

/** How the statistics reach a dataset: E1's reader, or a stand-in in tests. */
export interface DatasetSource {
  readDataset(dir: string): DatasetContents | Promise<DatasetContents>;
  /** Rebuilds a member's network from the spec (optional: without it f_e is averaged by edge number, not drawn). */
  memberNetwork?: MemberNetwork;
}

/** A loaded ensemble: its members, names for figures and summaries, and whether they share one network. */
export interface LoadedEnsemble {
  dir: string;
  members: MemberResult[];
  names: EnsembleNames;
  /** The network every member shares, for drawing f_e; null with `topologyNote` saying why. */
  topology: SharedTopology | null;
  topologyNote: string | null;
  /** Set when the members are known to have different networks: f_e is then not averaged edge by edge. */
  topologyDiffers: string | undefined;
  /** K, the soft modes the alignment is the largest |cos| over (see {@link alignmentModes}). */
  alignmentModes: number;
  /** The spec's own success criterion, `stop.targetMse` (V^2), when it has one. */
  targetMse: number | null;
}

/** E1's dataset reader and member-network builder (`memberNetwork(spec, index)`). */
export async function defaultSource(): Promise<DatasetSource> {
  return { readDataset, memberNetwork };
}

/** Read the dataset in `dir` through `source` (default: E1's modules) and find the members' shared network. */
export async function loadEnsembleDataset(dir: string, source?: DatasetSource): Promise<LoadedEnsemble> {
  const src = source ?? (await defaultSource());
  const { spec, meta, members } = await src.readDataset(dir);
  const names = ensembleNames(dir, spec, meta);
  const shared = sharedTopology(spec, members, src.memberNetwork);
  const target = field(field(spec, 'stop'), 'targetMse');
  return { dir, members, names, ...shared, alignmentModes: alignmentModes(spec, members), targetMse: typeof target === 'number' && Number.isFinite(target) && target > 0 ? target : null };
}

/**
 * The number K of soft modes a member's alignment is the largest |cos| over: runMember passes the spec's
 * `diagnostics.modes` lowest modes of the free block H_FF to modeCoupling, which compares at most 10 of them, and
 * H_FF has one mode per free node (nodes - sources - ground). 1 when the spec does not say (then the one-mode null).
 */
export function alignmentModes(spec: unknown, members: readonly MemberResult[]): number {
  const modes = field(field(spec, 'diagnostics'), 'modes');
  if (typeof modes !== 'number' || !Number.isInteger(modes) || modes < 1) return 1;
  const task = field(spec, 'task');
  const ids = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
  const imposed = new Set([...ids(field(task, 'sources')), ...ids(field(task, 'ground'))]).size;
  const free = members.length > 0 ? Math.min(...members.map((m) => m.nodes)) - imposed : Infinity;
  return Math.max(1, Math.min(10, modes, free));
}

/**
 * Whether the members share one network: equal edge counts are necessary; with a member-network builder every
 * member's edges (and node positions) are compared with the first's, which tells a fixed lattice (shared) from random
 * graphs of one size (not shared). Without a builder nothing can be drawn.
 */
export function sharedTopology(spec: unknown, members: readonly MemberResult[], memberNetwork: MemberNetwork | undefined): Pick<LoadedEnsemble, 'topology' | 'topologyNote' | 'topologyDiffers'> {
  if (members.length === 0) return { topology: null, topologyNote: 'no members', topologyDiffers: undefined };
  const sizes = new Set(members.map((m) => `${m.nodes}/${m.edges}`));
  if (sizes.size > 1) {
    const why = `the members differ in size (${[...sizes].slice(0, 4).join(', ')}${sizes.size > 4 ? ', ...' : ''} nodes/edges): no common network to average f_e on`;
    return { topology: null, topologyNote: why, topologyDiffers: why };
  }
  if (!memberNetwork) {
    return { topology: null, topologyNote: 'the ensemble module does not rebuild a member\'s network (memberNetwork), so the shared network cannot be drawn; f_e is averaged by edge number', topologyDiffers: undefined };
  }
  const first = memberNetwork(spec as never, members[0].index);
  for (const m of members.slice(1)) {
    const net = memberNetwork(spec as never, m.index);
    const same = net.nodes === first.nodes && equal(net.edgeA, first.edgeA) && equal(net.edgeB, first.edgeB) && (first.positions === undefined || (net.positions !== undefined && equal(net.positions, first.positions)));
    if (!same) {
      const why = `member ${m.index}'s network differs from member ${members[0].index}'s (e.g. random graphs: same size, different edges): f_e is not averaged edge by edge`;
      return { topology: null, topologyNote: why, topologyDiffers: why };
    }
  }
  if (!first.positions) return { topology: null, topologyNote: 'the members\' network has no node positions to draw', topologyDiffers: undefined };
  return { topology: { positions: first.positions, edgeA: first.edgeA, edgeB: first.edgeB, roles: taskRoles(spec, first.nodes) }, topologyNote: null, topologyDiffers: undefined };
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

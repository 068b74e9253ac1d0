/**
 * Checks every value a Board call would send against the board's identity, BEFORE anything is sent (Board
 * contract: a violation rejects with InvalidInputError and the board is untouched). Shared by the serial host and
 * the in-process twin so both accept and refuse exactly the same calls.
 *
 * Each checker returns the values as the board will receive them: passed through `wireNumber` (the protocol's
 * 6-decimal rendering), so that the in-process twin applies bit-identical numbers to the ones a board reads off
 * the wire.
 */
import { frameKeep, MAX_LINE, wireNumber, type BoardIdentity } from '../../firmware-protocol/codec.js';
import { InvalidInputError, show } from '../errors.js';
import type { Schedule } from './Board.js';

/** Samples per MEAS when the caller gives none (PROTOCOL.md `MEAS`). */
export const DEFAULT_SAMPLES = 16;
/** Largest sample count MEAS accepts (PROTOCOL.md `MEAS`). */
export const MAX_SAMPLES = 1024;
/** Frames granted at a time when runSchedule is called without a window. */
export const DEFAULT_WINDOW = 8;
/** Most credits a board holds outstanding (PROTOCOL.md `GRANT`): the largest window. */
export const MAX_WINDOW = 65535;
/** Most steps one schedule may ask for (PROTOCOL.md `SCHED BEGIN`). */
export const MAX_SCHEDULE_STEPS = 1_000_000_000;

/** `[index, value]` pairs in ascending index order, values as sent on the wire. */
export type WirePairs = [number, number][];

function where(id: BoardIdentity, field: string): { source: string; field: string } {
  return { source: `board ${id.model || 'unknown'}`, field };
}

function asMap(id: BoardIdentity, value: unknown, field: string): ReadonlyMap<number, number> {
  if (!(value instanceof Map)) {
    throw new InvalidInputError(where(id, field), `must be a Map from index to value, got ${show(value)}`, 'pass new Map([[index, value], ...])');
  }
  return value as ReadonlyMap<number, number>;
}

function finite(id: BoardIdentity, field: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidInputError(where(id, field), `must be a finite number, got ${show(x)}`);
  return x;
}

function inRange(id: BoardIdentity, field: string, x: unknown, lo: number, hi: number, what: string): number {
  const v = finite(id, field, x);
  if (v < lo || v > hi) throw new InvalidInputError(where(id, field), `${show(v)} V is outside the ${what} range [${lo}, ${hi}] V`, `use a voltage in [${lo}, ${hi}]`);
  return wireNumber(v);
}

function nodeIn(id: BoardIdentity, field: string, node: unknown, allowed: readonly number[], role: string): number {
  if (typeof node !== 'number' || !Number.isInteger(node) || node < 0 || node >= id.nodes) {
    throw new InvalidInputError(where(id, field), `node must be an integer in 0..${id.nodes - 1}, got ${show(node)}`);
  }
  if (!allowed.includes(node)) {
    throw new InvalidInputError(where(id, field), `node ${node} cannot be ${role} on this board`, `${role} nodes are ${allowed.join(',') || 'none'}`);
  }
  return node;
}

function nodeVoltages(id: BoardIdentity, value: unknown, field: string, allowed: readonly number[], role: string): WirePairs {
  const m = asMap(id, value, field);
  const out: WirePairs = [];
  for (const [node, volts] of m) {
    const f = `${field}[${show(node)}]`;
    out.push([nodeIn(id, f, node, allowed, role), inRange(id, f, volts, id.dac.lo, id.dac.hi, 'DAC')]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Sources: drivable nodes, volts within the DAC range. */
export function checkSources(id: BoardIdentity, sources: ReadonlyMap<number, number>): WirePairs {
  return nodeVoltages(id, sources, 'sources', id.drivable, 'driven');
}

/**
 * A node may be driven or clamped, never both (the board answers 409). `pairs` are the nodes about to be set as
 * `field`; `other` the nodes the board holds in the other role, named `otherRole`.
 */
export function checkRoleConflicts(id: BoardIdentity, field: string, pairs: WirePairs, other: ReadonlyMap<number, number>, otherRole: string): void {
  for (const [node] of pairs) {
    if (other.has(node)) {
      throw new InvalidInputError(where(id, `${field}[${node}]`), `node ${node} is ${otherRole} at present; a node cannot be driven and clamped at once`, `release it first (set${otherRole === 'driven' ? 'Sources' : 'Clamps'} without node ${node})`);
    }
  }
}

/** Clamps: clampable nodes, volts within the DAC range. */
export function checkClamps(id: BoardIdentity, clamps: ReadonlyMap<number, number>): WirePairs {
  return nodeVoltages(id, clamps, 'clamps', id.clampable, 'clamped');
}

/** One edge setting: a tap index (integer 0..taps-1) or a gate voltage within the gate range. */
export function checkEdgeSetting(id: BoardIdentity, field: string, setting: unknown): number {
  if (id.edge.kind === 'tap') {
    const taps = id.edge.taps;
    if (typeof setting !== 'number' || !Number.isInteger(setting) || setting < 0 || setting >= taps) {
      throw new InvalidInputError(where(id, field), `tap must be an integer in 0..${taps - 1}, got ${show(setting)}`);
    }
    return setting;
  }
  const { lo, hi } = id.edge;
  const v = finite(id, field, setting);
  if (v < lo || v > hi) throw new InvalidInputError(where(id, field), `gate voltage ${show(v)} V is outside [${lo}, ${hi}] V`);
  return wireNumber(v);
}

/** Edge settings: edge indices 0..E-1, settings per {@link checkEdgeSetting}. */
export function checkEdgeSettings(id: BoardIdentity, settings: ReadonlyMap<number, number>): WirePairs {
  const m = asMap(id, settings, 'edges');
  const out: WirePairs = [];
  const E = id.edges.length;
  const taps = id.edge.kind === 'tap' ? id.edge.taps : 0;
  for (const [edge, s] of m) {
    // the common case (a tap board's step writes every edge), without spelling the field's name for a message
    if (taps > 0 && Number.isInteger(edge) && edge >= 0 && edge < E && Number.isInteger(s) && s >= 0 && s < taps) {
      out.push([edge, s]);
      continue;
    }
    const f = `edges[${show(edge)}]`;
    if (typeof edge !== 'number' || !Number.isInteger(edge) || edge < 0 || edge >= E) {
      throw new InvalidInputError(where(id, f), `edge must be an integer in 0..${E - 1}, got ${show(edge)}`);
    }
    out.push([edge, checkEdgeSetting(id, f, s)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** MEAS sample count: integer 1..1024, default 16. */
export function checkSamples(id: BoardIdentity, samples: number | undefined): number {
  if (samples === undefined) return DEFAULT_SAMPLES;
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1 || samples > MAX_SAMPLES) {
    throw new InvalidInputError(where(id, 'samples'), `must be an integer in 1..${MAX_SAMPLES}, got ${show(samples)}`);
  }
  return samples;
}

/**
 * Clamping strength of the device's rule: within the range the board's `ID` reports (`eta=LO,HI`, within (0, 1]),
 * after rounding to the protocol's 6 decimals (what the board reads).
 */
export function checkEta(id: BoardIdentity, eta: unknown): number {
  const v = finite(id, 'eta', eta);
  const { lo, hi } = id.limits.eta;
  const w = wireNumber(v);
  if (!(w >= lo && w <= hi)) {
    const rounded = w !== v ? ` (${show(w)} at the protocol's 6 decimals)` : '';
    throw new InvalidInputError(where(id, 'eta'), `${show(v)}${rounded} is outside the range [${lo}, ${hi}] this board's STEP accepts (its ID reports eta=${lo},${hi})`, `use eta in [${lo}, ${hi}]`);
  }
  return w;
}

/**
 * Gate boards' update gain (V of gate change per V^2 of difference): within the range the board's `ID` reports
 * (`amp=LO,HI`). Undefined leaves the device default, 1, which must lie in that range too. Tap boards have no gain
 * (their edges move one tap): a finite amp >= 0 is accepted and not sent (undefined is returned), anything else
 * refused.
 */
export function checkAmp(id: BoardIdentity, amp: unknown): number | undefined {
  const r = id.limits.amp;
  if (id.edge.kind === 'tap' || !r) {
    if (amp === undefined) return undefined;
    const v = finite(id, 'amp', amp);
    if (v < 0) throw new InvalidInputError(where(id, 'amp'), `must be >= 0, got ${show(v)}`);
    return undefined;
  }
  if (amp === undefined) {
    if (!(1 >= r.lo && 1 <= r.hi)) throw new InvalidInputError(where(id, 'amp'), `the device default 1 is outside the range [${r.lo}, ${r.hi}] V/V^2 this board accepts`, 'give amp explicitly');
    return undefined;
  }
  const v = finite(id, 'amp', amp);
  const w = wireNumber(v);
  if (!(w >= r.lo && w <= r.hi)) {
    throw new InvalidInputError(where(id, 'amp'), `${show(v)} V/V^2 is outside the range [${r.lo}, ${r.hi}] this board's STEP accepts (its ID reports amp=${r.lo},${r.hi})`, `use amp in [${r.lo}, ${r.hi}]`);
  }
  return w;
}

/** A device learning step: at least one clampable target with a desired voltage in the DAC range. */
export function checkStep(id: BoardIdentity, targets: ReadonlyMap<number, number>, eta: number, amp?: number): { targets: WirePairs; eta: number; amp?: number } {
  const t = nodeVoltages(id, targets, 'targets', id.clampable, 'clamped');
  if (t.length === 0) throw new InvalidInputError(where(id, 'targets'), 'a learning step needs at least one target');
  return { targets: t, eta: checkEta(id, eta), amp: checkAmp(id, amp) };
}

/** A checked schedule: values rounded as sent. */
export interface CheckedSchedule {
  steps: number;
  sources: number[];
  targets: number[];
  examples: { in: number[]; out: number[] }[];
  eta: number;
  amp?: number;
  window: number;
}

function nodeList(id: BoardIdentity, field: string, nodes: unknown, allowed: readonly number[], role: string): number[] {
  if (!Array.isArray(nodes) || nodes.length === 0) throw new InvalidInputError(where(id, field), `must be a non-empty array of nodes, got ${show(nodes)}`);
  const seen = new Set<number>();
  return nodes.map((n, i) => {
    const node = nodeIn(id, `${field}[${i}]`, n, allowed, role);
    if (seen.has(node)) throw new InvalidInputError(where(id, `${field}[${i}]`), `node ${node} is listed twice`);
    seen.add(node);
    return node;
  });
}

/**
 * An autonomous run: node roles, example lengths and voltages, eta/amp, the step count and the credit window. The
 * window comes back as at most the board's `keep` (PROTOCOL.md 1.3, 256 for older boards): with no more than `keep`
 * frames unacknowledged, a frame lost on the wire is always still kept when the host asks for it with RESEND (the
 * host's missing frame is the oldest unemitted one, and the device is never more than `window` steps past it).
 */
export function checkSchedule(id: BoardIdentity, schedule: Schedule, window: number | undefined): CheckedSchedule {
  if (typeof schedule !== 'object' || schedule === null) throw new InvalidInputError(where(id, 'schedule'), `must be an object, got ${show(schedule)}`);
  const { steps } = schedule;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) {
    throw new InvalidInputError(where(id, 'schedule.steps'), `must be an integer >= 1, got ${show(steps)}`);
  }
  const w = window ?? DEFAULT_WINDOW;
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > MAX_WINDOW) throw new InvalidInputError(where(id, 'window'), `must be an integer in 1..${MAX_WINDOW}, got ${show(w)}`);
  const sources = nodeList(id, 'schedule.sources', schedule.sources, id.drivable, 'driven');
  const targets = nodeList(id, 'schedule.targets', schedule.targets, id.clampable, 'clamped');
  for (const t of targets) {
    if (sources.includes(t)) throw new InvalidInputError(where(id, 'schedule.targets'), `node ${t} is both a source and a target`);
  }
  if (!Array.isArray(schedule.examples) || schedule.examples.length === 0) {
    throw new InvalidInputError(where(id, 'schedule.examples'), 'must be a non-empty array of {in, out}');
  }
  if (schedule.examples.length > id.limits.maxExamples) {
    throw new InvalidInputError(where(id, 'schedule.examples'), `has ${schedule.examples.length} examples; this board holds at most ${id.limits.maxExamples} (its ID reports sched=${id.limits.maxExamples})`, 'split the run into schedules of fewer examples');
  }
  if (steps > MAX_SCHEDULE_STEPS) {
    throw new InvalidInputError(where(id, 'schedule.steps'), `must be at most ${MAX_SCHEDULE_STEPS} (PROTOCOL.md SCHED BEGIN), got ${show(steps)}`);
  }
  const examples = schedule.examples.map((ex, i) => {
    const f = `schedule.examples[${i}]`;
    const ins = Array.from(ex?.in ?? []);
    const outs = Array.from(ex?.out ?? []);
    if (ins.length !== sources.length) throw new InvalidInputError(where(id, `${f}.in`), `has ${ins.length} values for ${sources.length} sources`);
    if (outs.length !== targets.length) throw new InvalidInputError(where(id, `${f}.out`), `has ${outs.length} values for ${targets.length} targets`);
    const r = {
      in: ins.map((v, j) => inRange(id, `${f}.in[${j}]`, v, id.dac.lo, id.dac.hi, 'DAC')),
      out: outs.map((v, j) => inRange(id, `${f}.out[${j}]`, v, id.dac.lo, id.dac.hi, 'DAC')),
    };
    // the longest line a schedule produces; refusing it here beats a device-side overlong drop
    if (r.in.length * 11 + r.out.length * 11 + 40 > MAX_LINE) {
      throw new InvalidInputError(where(id, f), `example too long for one ${MAX_LINE}-byte protocol line`);
    }
    return r;
  });
  return { steps, sources, targets, examples, eta: checkEta(id, schedule.eta), amp: checkAmp(id, schedule.amp), window: Math.min(w, frameKeep(id.limits)) };
}

/**
 * STAND-IN for helper E1's modules (src/ensemble/EnsembleSpec.ts, runMember.ts, memberStore.ts, dataset.ts), written
 * to the fixed contract of issue 16 so that the queue can be built and tested before they exist. Nothing here is the
 * physics: runMember is a deterministic busy loop whose result depends only on (spec, index). At merge, backend.ts
 * re-exports E1's modules instead and this file is deleted.
 */
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { writeFileAtomic } from '../../store/atomicWrite.js';
import { VERSION } from '../../version.js';

/** The stand-in's spec: `{format: "clln.ensemble/1", members, steps, seed}` (E1's is richer). */
export interface EnsembleSpec {
  format: 'clln.ensemble/1';
  members: number;
  steps: number;
  seed: number;
}

export interface MemberResult {
  index: number;
  seeds: { network: number; task: number; order: number };
  steps: number;
  converged: boolean;
  trainMse: number;
  testMse: number | null;
  lambdaLow: number;
  lambdaHigh: number;
  stiffAlignment: number | null;
  conductance: Float64Array;
  boundaryFrequency: Float64Array | null;
  edges: number;
  nodes: number;
}

export function parseEnsembleSpec(json: unknown, source: string): EnsembleSpec {
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o.format !== 'clln.ensemble/1') {
    throw new InvalidInputError({ source, field: 'format' }, 'must be "clln.ensemble/1"');
  }
  const int = (k: string, min: number, def?: number): number => {
    const v = o[k] ?? def;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new InvalidInputError({ source, field: k }, `must be an integer >= ${min}`);
    }
    return v;
  };
  return { format: 'clln.ensemble/1', members: int('members', 1), steps: int('steps', 1), seed: int('seed', 0, 0) };
}

export function readEnsembleSpec(path: string): EnsembleSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidInputError({ source: path }, 'cannot read the file', 'check the path');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError({ source: path }, `not JSON: ${(e as Error).message}`);
  }
  return parseEnsembleSpec(json, path);
}

export function memberCount(spec: EnsembleSpec): number {
  return spec.members;
}

export function specDigest(spec: EnsembleSpec): string {
  const canon = JSON.stringify(spec, Object.keys(spec).sort());
  return createHash('sha256').update(canon).digest('hex');
}

function seedOf(spec: EnsembleSpec, index: number, what: string): number {
  return createHash('sha256').update(`${spec.seed}:${index}:${what}`).digest().readUInt32LE(0);
}

/** Deterministic stand-in: `steps` rounds of xorshift over 64 "conductances"; about 80 ns a step. */
export function runMember(spec: EnsembleSpec, index: number, onProgress?: (stepsDone: number, steps: number) => void): MemberResult {
  const seeds = { network: seedOf(spec, index, 'network'), task: seedOf(spec, index, 'task'), order: seedOf(spec, index, 'order') };
  const E = 64;
  const k = new Float64Array(E);
  // a 32-bit LCG in int32 arithmetic only (Math.imul, | 0), so V8's optimised loop never deoptimises; the
  // "conductances" are drawn from its state at the end
  let x = seeds.network | 0;
  for (let s = 0; s < spec.steps; s++) {
    x = lcgRound(x, E);
    if (onProgress && (s + 1) % 1000 === 0) onProgress(s + 1, spec.steps);
  }
  for (let e = 0; e < E; e++) {
    x = (Math.imul(x, 1664525) + 1013904223) | 0;
    k[e] = 0.5 + 1.5 * ((x >>> 8) / 16777216);
  }
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (const v of k) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sum += v;
  }
  return {
    index,
    seeds,
    steps: spec.steps,
    converged: index % 3 !== 0,
    trainMse: sum / E / 1e3,
    testMse: index % 2 === 0 ? sum / E / 7e2 : null,
    lambdaLow: lo,
    lambdaHigh: hi,
    stiffAlignment: index % 5 === 0 ? null : Math.sin(index),
    conductance: k,
    boundaryFrequency: index % 2 === 0 ? k.map((v) => v / 2) : null,
    edges: E,
    nodes: 33,
  };
}

/**
 * n rounds of the LCG. A function of its own so that V8 optimises it as a whole: with the loop inlined in runMember,
 * the second member of a thread ran 30x slower than the first (on-stack replacement not taken again).
 */
function lcgRound(x: number, n: number): number {
  for (let e = 0; e < n; e++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
  return x;
}

const memberPath = (dir: string, index: number): string => join(dir, 'members', `${String(index).padStart(6, '0')}.json`);

/** Stores a member unless it is there: temp file, then link(2), which refuses to replace an existing file. */
export function storeMember(dir: string, digest: string, r: MemberResult): boolean {
  mkdirSync(join(dir, 'members'), { recursive: true });
  const path = memberPath(dir, r.index);
  const tmp = `${path}.tmp-${process.pid}`;
  const json = { ...r, specDigest: digest, conductance: Array.from(r.conductance), boundaryFrequency: r.boundaryFrequency && Array.from(r.boundaryFrequency) };
  writeFileSync(tmp, JSON.stringify(json));
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

export function storedMembers(dir: string): Set<number> {
  try {
    return new Set(readdirSync(join(dir, 'members')).filter((f) => /^\d{6}\.json$/.test(f)).map((f) => Number(f.slice(0, 6))));
  } catch {
    return new Set();
  }
}

export function readMember(dir: string, index: number): MemberResult & { specDigest: string } {
  const j = JSON.parse(readFileSync(memberPath(dir, index), 'utf8'));
  return { ...j, conductance: Float64Array.from(j.conductance), boundaryFrequency: j.boundaryFrequency && Float64Array.from(j.boundaryFrequency) };
}

/** Stand-in: spec.json and meta.json only (E1 writes the Parquet tables). */
export function assembleDataset(dir: string, spec: EnsembleSpec): void {
  writeFileAtomic(join(dir, 'spec.json'), JSON.stringify(spec, null, 2) + '\n');
  writeFileAtomic(join(dir, 'meta.json'), JSON.stringify({ software: 'clln', version: VERSION, specDigest: specDigest(spec), members: memberCount(spec) }, null, 2) + '\n');
}

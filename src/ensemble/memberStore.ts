/**
 * The per-member store of a dataset folder: `DIR/members/NNNNNN.json`, one file per finished member (index in six or
 * more digits). A file appears whole or not at all (written under a temporary name, then hard-linked into place:
 * link() fails when the name exists, so two writers racing on one member store it once), so a member cut off
 * mid-run has no file and is redone, and a stored one is never stored again. The files are the canonical results;
 * the Parquet tables (dataset.ts) are assembled from them.
 *
 * File: {"format": "clln.ensemble-member/1", "specDigest": hex, "result": {...MemberResult, conductance: [S...],
 * boundaryFrequency: [...] | null}}. Numbers are written by JSON.stringify (shortest text that reads back to the
 * same double, so arrays survive bit for bit); a non-finite scalar (a diverged member's MSE) is written as the string
 * "NaN", "Infinity" or "-Infinity".
 *
 * A member whose computation threw (pool.ts: a solver that failed on this member's network, say) is stored once too,
 * as a failed member: {"format", "specDigest", "status": "failed", "failure": {index, seeds, error}} with the error's
 * message (at most {@link MAX_ERROR_CHARS} characters) and no results. A file without `status` is a finished member.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CllnError, fileError, InvalidInputError } from '../errors.js';
import type { MemberResult } from './runMember.js';
import type { SpringDirectionMeasures, SpringMeasures } from './springMember.js';

const FORMAT = 'clln.ensemble-member/1';
const NAME = /^(\d{6,})\.json$/;

/** The file of member `index` in dataset folder `dir`. */
export function memberPath(dir: string, index: number): string {
  return join(dir, 'members', `${String(index).padStart(6, '0')}.json`);
}

/** A member whose computation threw: what is known without its results, and why it failed. */
export interface FailedMember {
  index: number;
  seeds: MemberResult['seeds'];
  /** The error's name and message, e.g. `Error: ...`, shortened to {@link MAX_ERROR_CHARS} characters. */
  error: string;
}

/** A stored member: finished with results, or failed. */
export type StoredMember = { status: 'ok'; result: MemberResult } | { status: 'failed'; failure: FailedMember };

/** A failed member's error text is shortened to this many characters (a message, not a stack trace). */
export const MAX_ERROR_CHARS = 500;

/** JSON has no NaN or Infinity: a non-finite number (a diverged member's MSE) is written as its string. */
const enc = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const dec = (x: number | string): number => (typeof x === 'string' ? Number(x) : x);

/**
 * Store a member's result. Returns false, writing nothing, when that member is already stored.
 * @throws IoError when the folder cannot be written
 */
export function storeMember(dir: string, specDigest: string, result: MemberResult): boolean {
  return storeDoc(dir, result.index, {
    format: FORMAT,
    specDigest,
    result: {
      ...result,
      trainMse: enc(result.trainMse),
      testMse: result.testMse === null ? null : enc(result.testMse),
      lambdaLow: enc(result.lambdaLow),
      lambdaHigh: enc(result.lambdaHigh),
      stiffAlignment: result.stiffAlignment === null ? null : enc(result.stiffAlignment),
      conductance: Array.from(result.conductance),
      boundaryFrequency: result.boundaryFrequency ? Array.from(result.boundaryFrequency) : null,
      // spring members only: absent from a resistor member's file, which stays as it was
      ...(result.springs ? { springs: { ...result.springs, initialError: enc(result.springs.initialError), directions: result.springs.directions.map((d) => ({ ...d, targetStrain: enc(d.targetStrain), projection: enc(d.projection), energySource: enc(d.energySource), energyTarget: enc(d.energyTarget), energyBoth: enc(d.energyBoth), tStar: enc(d.tStar) })) } } : {}),
    },
  });
}

/**
 * Store a failed member (its computation threw), once, like {@link storeMember}: it is not run again on resume.
 * Returns false, writing nothing, when that member is already stored (finished or failed).
 */
export function storeFailedMember(dir: string, specDigest: string, failure: FailedMember): boolean {
  const error = failure.error.length > MAX_ERROR_CHARS ? failure.error.slice(0, MAX_ERROR_CHARS - 3) + '...' : failure.error;
  return storeDoc(dir, failure.index, { format: FORMAT, specDigest, status: 'failed', failure: { index: failure.index, seeds: failure.seeds, error } });
}

function storeDoc(dir: string, index: number, doc: object): boolean {
  const path = memberPath(dir, index);
  if (existsSync(path)) return false;
  mkdirSync(join(dir, 'members'), { recursive: true });
  // unique per process and call: workers of one process never write here (the pool's main thread does), but two
  // coordinators might
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, JSON.stringify(doc) + '\n');
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    return true;
  } catch (e) {
    throw fileError(e, path, 'store the ensemble member', 'check that the dataset folder is writable');
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
  }
}

/** Indices of the members stored in `dir` (temporary files of cut-off writes are ignored). */
export function storedMembers(dir: string): Set<number> {
  const out = new Set<number>();
  let names: string[];
  try {
    names = readdirSync(join(dir, 'members'));
  } catch {
    return out;
  }
  for (const n of names) {
    const m = NAME.exec(n);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

/**
 * Read member `index`'s stored result; a failed member is an error here (CllnError naming it and its error): callers
 * that take failed members read {@link readStoredMember}.
 * @param specDigest when given, the file must carry it (it belongs to this ensemble)
 */
export function readMember(dir: string, index: number, specDigest?: string): MemberResult {
  const s = readStoredMember(dir, index, specDigest);
  if (s.status === 'failed') throw new CllnError(`ensemble member ${index} failed when it ran (${s.failure.error}): it has no results`);
  return s.result;
}

/**
 * Read member `index` as stored: finished with its result, or failed with its error.
 * @param specDigest when given, the file must carry it (it belongs to this ensemble)
 */
export function readStoredMember(dir: string, index: number, specDigest?: string): StoredMember {
  const path = memberPath(dir, index);
  let doc: { format?: unknown; specDigest?: unknown; status?: unknown; result?: Record<string, unknown>; failure?: FailedMember };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (e) {
    if (e instanceof SyntaxError) throw new InvalidInputError({ source: path }, 'is not valid JSON', 'delete it; the member is run again');
    throw fileError(e, path, 'read the ensemble member');
  }
  if (doc.format !== FORMAT || !(doc.result || (doc.status === 'failed' && doc.failure))) throw new InvalidInputError({ source: path, field: 'format' }, `is not a ${FORMAT} file`, 'delete it; the member is run again');
  if (specDigest !== undefined && doc.specDigest !== specDigest) {
    throw new InvalidInputError({ source: path, field: 'specDigest' }, 'belongs to a different ensemble spec than the dataset folder', 'use a new --out folder for a changed spec');
  }
  if (doc.status === 'failed') {
    const f = doc.failure!;
    return { status: 'failed', failure: { index: f.index, seeds: f.seeds, error: String(f.error) } };
  }
  type Num = number | string;
  const r = doc.result as unknown as Omit<MemberResult, 'conductance' | 'boundaryFrequency' | 'trainMse' | 'testMse' | 'lambdaLow' | 'lambdaHigh' | 'stiffAlignment'> & {
    trainMse: Num; testMse: Num | null; lambdaLow: Num; lambdaHigh: Num; stiffAlignment: Num | null; conductance: number[]; boundaryFrequency: number[] | null;
  };
  const result: MemberResult = {
    index: r.index,
    seeds: r.seeds,
    steps: r.steps,
    converged: r.converged,
    trainMse: dec(r.trainMse),
    testMse: r.testMse === null ? null : dec(r.testMse),
    lambdaLow: dec(r.lambdaLow),
    lambdaHigh: dec(r.lambdaHigh),
    stiffAlignment: r.stiffAlignment === null ? null : dec(r.stiffAlignment),
    conductance: Float64Array.from(r.conductance),
    boundaryFrequency: r.boundaryFrequency ? Float64Array.from(r.boundaryFrequency) : null,
    edges: r.edges,
    nodes: r.nodes,
  };
  const sp = (doc.result as { springs?: SpringMeasures & { initialError: Num; directions: Record<string, unknown>[] } }).springs;
  if (sp) {
    result.springs = {
      ...sp,
      initialError: dec(sp.initialError),
      directions: sp.directions.map((d) => {
        const x = d as unknown as SpringDirectionMeasures;
        return { ...x, targetStrain: dec(x.targetStrain), projection: dec(x.projection), energySource: dec(x.energySource), energyTarget: dec(x.energyTarget), energyBoth: dec(x.energyBoth), tStar: dec(x.tStar) };
      }),
    };
  }
  return { status: 'ok', result };
}

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
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileError, InvalidInputError } from '../errors.js';
import type { MemberResult } from './runMember.js';

const FORMAT = 'clln.ensemble-member/1';
const NAME = /^(\d{6,})\.json$/;

/** The file of member `index` in dataset folder `dir`. */
export function memberPath(dir: string, index: number): string {
  return join(dir, 'members', `${String(index).padStart(6, '0')}.json`);
}

/** JSON has no NaN or Infinity: a non-finite number (a diverged member's MSE) is written as its string. */
const enc = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const dec = (x: number | string): number => (typeof x === 'string' ? Number(x) : x);

/**
 * Store a member's result. Returns false, writing nothing, when that member is already stored.
 * @throws IoError when the folder cannot be written
 */
export function storeMember(dir: string, specDigest: string, result: MemberResult): boolean {
  const path = memberPath(dir, result.index);
  if (existsSync(path)) return false;
  mkdirSync(join(dir, 'members'), { recursive: true });
  const doc = {
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
    },
  };
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
 * Read member `index`'s stored result.
 * @param specDigest when given, the file must carry it (it belongs to this ensemble)
 */
export function readMember(dir: string, index: number, specDigest?: string): MemberResult {
  const path = memberPath(dir, index);
  let doc: { format?: unknown; specDigest?: unknown; result?: Record<string, unknown> };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (e) {
    if (e instanceof SyntaxError) throw new InvalidInputError({ source: path }, 'is not valid JSON', 'delete it; the member is run again');
    throw fileError(e, path, 'read the ensemble member');
  }
  if (doc.format !== FORMAT || !doc.result) throw new InvalidInputError({ source: path, field: 'format' }, `is not a ${FORMAT} file`, 'delete it; the member is run again');
  if (specDigest !== undefined && doc.specDigest !== specDigest) {
    throw new InvalidInputError({ source: path, field: 'specDigest' }, 'belongs to a different ensemble spec than the dataset folder', 'use a new --out folder for a changed spec');
  }
  type Num = number | string;
  const r = doc.result as unknown as Omit<MemberResult, 'conductance' | 'boundaryFrequency' | 'trainMse' | 'testMse' | 'lambdaLow' | 'lambdaHigh' | 'stiffAlignment'> & {
    trainMse: Num; testMse: Num | null; lambdaLow: Num; lambdaHigh: Num; stiffAlignment: Num | null; conductance: number[]; boundaryFrequency: number[] | null;
  };
  return {
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
}

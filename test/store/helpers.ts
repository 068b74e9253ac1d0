import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DescriptorInput, StartDoc } from '../../src/store/documents.js';
import { RunWriter } from '../../src/store/RunWriter.js';

/** A fresh temporary directory. */
export function tempDir(prefix = 'clln-store-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The built package (tests of the CLI and of crashes run the compiled JavaScript; `npm test` builds first). */
export const DIST = resolve(__dirname, '../../dist');
export const CLI = join(DIST, 'src/cli/main.js');

let counter = 0;

/** A start document like the training commands write (network and task trimmed). */
export function startDoc(extra: Record<string, unknown> = {}): StartDoc {
  counter++;
  return {
    uid: `start-${counter}-${process.pid}`,
    time: 1_700_000_000 + counter,
    plan_name: 'train_board',
    software: { name: 'clln', version: '0.1.0' },
    seed: 7,
    board: { model: 'penn-gen1', serial: 'T-0001', firmware: '1.2.0' },
    calibration: null,
    network: { format: 'clln.network/1', name: 'lattice 4x4', nodes: 16, edges: [[0, 1]] },
    task: { format: 'clln.task/1', sources: [0, 3], targets: [9, 10], ground: [15] },
    rule: { name: 'cl', eta: 0.1, amp: 0.5 },
    ...extra,
  };
}

/** The descriptor of a 16-node board with `edges` edges. */
export function descriptorInput(edges = 42): DescriptorInput {
  return {
    data_keys: {
      step: { dtype: 'integer', shape: [], source: 'host' },
      example: { dtype: 'integer', shape: [], source: 'host' },
      inputs: { dtype: 'array', shape: [2], source: 'task', units: 'V' },
      vf: { dtype: 'array', shape: [16], source: 'board:ADC', units: 'V' },
      vc: { dtype: 'array', shape: [16], source: 'board:ADC', units: 'V' },
      settings: { dtype: 'array', shape: [edges], source: 'board' },
      changed: { dtype: 'integer', shape: [], source: 'host:rule' },
      cost: { dtype: 'number', shape: [], source: 'host', units: 'V^2' },
      residual_max: { dtype: 'number', shape: [], source: 'host:check', units: 'A' },
      alarm: { dtype: 'boolean', shape: [], source: 'host:check' },
    },
  };
}

/** The data of step `i` (deterministic). */
export function stepData(i: number, edges = 42): Record<string, unknown> {
  const v = (k: number) => Math.round(1e6 * Math.sin(i * 0.37 + k)) / 1e6;
  return {
    step: i,
    example: i % 40,
    inputs: [v(0), v(1)],
    vf: Array.from({ length: 16 }, (_, k) => v(k)),
    vc: new Float64Array(Array.from({ length: 16 }, (_, k) => v(k + 100))),
    settings: Array.from({ length: edges }, (_, k) => (i + k) % 64),
    changed: i % 5,
    cost: 1 / (i + 1),
    residual_max: i === 3 ? NaN : 1e-9 * i,
    alarm: i % 7 === 6,
  };
}

/** A runs directory with one run of each status, plus files that are not runs. */
export async function populate(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const complete = RunWriter.create(join(dir, 'a-complete.jsonl'), startDoc({ time: 1_700_000_300, plan_name: 'train_board' }), descriptorInput());
  for (let i = 0; i < 12; i++) complete.append(stepData(i));
  await complete.stop('success', 'all steps done');
  const aborted = RunWriter.create(join(dir, 'b-aborted.jsonl'), startDoc({ time: 1_700_000_100, plan_name: 'train' }), descriptorInput());
  for (let i = 0; i < 3; i++) aborted.append(stepData(i));
  await aborted.stop('abort', 'operator pressed q');
  const failed = RunWriter.create(join(dir, 'c-failed.jsonl'), startDoc({ time: 1_700_000_400 }), descriptorInput());
  failed.append(stepData(0));
  await failed.stop('fail', 'board alarm');
  const interrupted = RunWriter.create(join(dir, 'd-interrupted.jsonl'), startDoc({ time: 1_700_000_200 }), descriptorInput());
  for (let i = 0; i < 7; i++) interrupted.append(stepData(i));
  await interrupted.close();
  appendFileSync(join(dir, 'd-interrupted.jsonl'), '["event",{"uid":"half'); // killed in the middle of step 8
  writeFileSync(join(dir, 'e-garbage.jsonl'), 'not a run\nat all\n');
  writeFileSync(join(dir, 'notes.txt'), 'ignored\n');
  mkdirSync(join(dir, 'sub.jsonl'));
}

/**
 * The lines of a run file without its evaluation stream (the evaluation descriptor and its events): start, the primary
 * descriptor, the primary events and the stop, as a record of one stream. What tests that cut or edit a record by line
 * index work on; a record without evaluations is still a valid record.
 */
export function stepLines(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  let evaluation: string | undefined;
  return lines.filter((l) => {
    const [name, doc] = JSON.parse(l) as [string, { uid?: string; name?: string; descriptor?: string }];
    if (name === 'descriptor' && doc.name === 'evaluation') {
      evaluation = doc.uid;
      return false;
    }
    return !(name === 'event' && evaluation !== undefined && doc.descriptor === evaluation);
  });
}

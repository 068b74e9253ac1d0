/**
 * What recording costs a simulated run (issue 12, point 3): `npm run bench -- simrecord`.
 *
 * Per case, the same simulated coupled-learning run on the engine (`openSimulatedRun` + `runSimulated`, learner
 * yielding as the CLI's does) three ways, alternating in rounds so that all see the same machine load:
 * - `trainer alone`: the physics Trainer's own loop (`Trainer.run`), no engine — what the engine itself costs;
 * - `none`: on the engine, not recorded — the baseline of the recording ratios;
 * - `default`: recorded in clln.sim-steps/1 with the default snapshot interval (digest + cost per step, every
 *   conductance every `defaultSnapshotEvery(E)` steps and at the last step);
 * - `every step`: the same layout with a full snapshot every step — what a record holding every conductance per step
 *   would cost, for comparison.
 * Reported per step: wall time (median over rounds of run time / steps, evaluations before and after included in all
 * three alike), the ratio to `none`, bytes of record per step of this run (file size / steps: start and descriptor
 * included, which dominate a short run of a large network), the size of an event line without and with a snapshot,
 * and the bytes per step a long run settles at (event + snapshot / interval).
 *
 * Cases: a 4x4 lattice with diagonals (16 nodes, 42 edges) and a 128x128 one (16,384 nodes, 65,026 edges).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latticeNetwork } from '../src/physics/generators/lattice.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import { Trainer } from '../src/physics/Trainer.js';
import { defaultSnapshotEvery } from '../src/pipeline/simRunRecord.js';
import { openSimulatedRun, runSimulated } from '../src/pipeline/simulatedRun.js';
import { ms, ratio, table } from './timing.js';

export interface SimRecordMode {
  mode: 'trainer alone' | 'none' | 'default' | 'every step';
  snapshotEvery: number | null;
  /** ms per step, median over rounds. */
  msPerStep: number;
  /** msPerStep / none's. */
  ratio: number;
  /** Bytes of record per step (file size / steps, start document included); 0 when not recorded. */
  bytesPerStep: number;
  /** Bytes of one event line without a snapshot (median), of one with a snapshot, of start + descriptor. */
  eventBytes: number;
  snapshotEventBytes: number;
  headerBytes: number;
  /** What a long run settles at: eventBytes + (snapshotEventBytes - eventBytes) / snapshotEvery. */
  steadyBytesPerStep: number;
}

export interface SimRecordCase {
  name: string;
  nodes: number;
  edges: number;
  steps: number;
  rounds: number;
  modes: SimRecordMode[];
}

export async function runSimRecordBench(log: (s: string) => void): Promise<{ cases: SimRecordCase[] }> {
  const cases: SimRecordCase[] = [];
  for (const [side, steps, rounds] of [
    [4, 3000, 5],
    [128, 20, 3],
  ] as const) {
    const net = latticeNetwork({ rows: side, cols: side, diagonals: true, seed: 1, conductance: [0.5, 1.5], bounds: [0.05, 20] });
    const n = side * side;
    const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, side - 1], targets: [Math.floor(n / 2), Math.floor(n / 2) + 1], ground: [n - 1], count: 20, test: 5, seed: 1 });
    const E = net.edgeA.length;
    const dir = mkdtempSync(join(tmpdir(), 'clln-bench-simrecord-'));
    const modes: { mode: SimRecordMode['mode']; every: number | null }[] = [
      { mode: 'trainer alone', every: null },
      { mode: 'none', every: null },
      { mode: 'default', every: defaultSnapshotEvery(E) },
      { mode: 'every step', every: 1 },
    ];
    const times = modes.map(() => [] as number[]);
    const bytes = modes.map(() => 0);
    const lines = modes.map(() => ({ event: 0, snapshot: 0, header: 0 }));
    let file = 0;
    for (let round = 0; round < rounds; round++) {
      for (let m = 0; m < modes.length; m++) {
        log(`bench: simrecord ${side}x${side} round ${round + 1}/${rounds} ${modes[m].mode} ...`);
        const path = modes[m].every === null ? null : join(dir, `r${file++}.jsonl`);
        if (modes[m].mode === 'trainer alone') {
          // the physics Trainer's own loop, no engine: what the engine itself costs
          const t0 = performance.now();
          new Trainer(net, task, { steps, order: 'sequential' }).run();
          times[m].push((performance.now() - t0) / steps);
          continue;
        }
        const run = openSimulatedRun({ network: net, task, options: { steps, order: 'sequential' }, record: path, snapshotEvery: modes[m].every ?? undefined });
        const t0 = performance.now();
        await runSimulated(run);
        times[m].push((performance.now() - t0) / steps);
        if (path) {
          bytes[m] = statSync(path).size / steps;
          const ls = readFileSync(path, 'utf8').split('\n').map((l) => Buffer.byteLength(l) + 1);
          const ev = ls.slice(2, 2 + steps);
          const plain = ev.filter((_, i) => (i + 1) % modes[m].every! !== 0 && i !== steps - 1).sort((a, b) => a - b);
          lines[m] = { event: plain.length ? plain[Math.floor(plain.length / 2)] : ev[0], snapshot: ev[steps - 1], header: ls[0] + ls[1] };
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
    const med = times.map((t) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]);
    cases.push({
      name: `lattice ${side}x${side} diag`,
      nodes: n,
      edges: E,
      steps,
      rounds,
      modes: modes.map((m, i) => ({
        mode: m.mode,
        snapshotEvery: m.every,
        msPerStep: med[i],
        ratio: med[i] / med[1],
        bytesPerStep: bytes[i],
        eventBytes: lines[i].event,
        snapshotEventBytes: lines[i].snapshot,
        headerBytes: lines[i].header,
        steadyBytesPerStep: m.every === null ? 0 : m.every === 1 ? lines[i].snapshot : lines[i].event + (lines[i].snapshot - lines[i].event) / m.every,
      })),
    });
  }
  return { cases };
}

export function printSimRecord(r: { cases: SimRecordCase[] }): string {
  const rows = r.cases.flatMap((c) =>
    c.modes.map((m) => [
      c.name,
      String(c.nodes),
      String(c.edges),
      String(c.steps),
      m.mode,
      m.snapshotEvery === null ? '—' : String(m.snapshotEvery),
      ms(m.msPerStep),
      ratio(m.ratio),
      m.bytesPerStep.toFixed(0),
      m.snapshotEvery === null ? '—' : String(m.eventBytes),
      m.snapshotEvery === null ? '—' : String(m.snapshotEventBytes),
      m.snapshotEvery === null ? '—' : String(m.headerBytes),
      m.steadyBytesPerStep.toFixed(0),
    ]),
  );
  return (
    table(['case', 'N', 'E', 'steps', 'record', 'snapshot every', 'ms/step', 'vs engine unrecorded', 'bytes/step (this run)', 'event B', 'snapshot event B', 'start+descriptor B', 'long-run B/step'], rows) +
    '\n'
  );
}

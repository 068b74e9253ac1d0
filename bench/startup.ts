/**
 * Start-up benchmark (`npm run bench -- startup [RUNS]`; issue 18 point 2: "`clln train` on that network reaches its
 * first step within 0.5 s of starting, including reading the 2.7 MB network file").
 *
 * The built CLI generates the 128 x 128 lattice with both diagonals (16,384 nodes, 64,770 edges) and a linear task
 * into a temporary directory; then `clln train NET TASK --steps 1 --record R` is spawned RUNS times (default 5), one
 * after another. The clock runs from just before the spawn to the moment the record's first step event (descriptor
 * `primary`, step 0) is seen in the file, polled every 2 ms; the event's own time stamp gives the same figure without
 * the polling (both are printed). Between them lie everything a user waits for: Node's own start, loading the
 * modules, reading and checking the network and task files, the ordering (or, on the second run of each pair, its
 * look-up in the order cache that the first filled) and symbolic analysis, the initial
 * evaluation of the training MSE (one solve per source: 2), and the first step. `node -e 0` is timed the same way for the floor
 * that Node itself costs. Medians; `uptime`'s load is printed beside them (2 cores shared with other jobs).
 *
 * With CLLN_BENCH_BASELINE_CLI=PATH (another build's dist/src/cli/main.js, e.g. of the commit before a change), each
 * run also times that CLI right after this one, on the same files, and the medians of both are printed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../src/cli/main.js');

/** What {@link runStartupBench} measured. */
export interface StartupResult {
  /** Target (issue 18): first step within this many ms of starting. */
  targetMs: number;
  /** Network of the case. */
  nodes: number;
  edges: number;
  /** Size of the network file in bytes. */
  networkBytes: number;
  /** Spawn to the first step's record line seen in the file, per run (ms). */
  firstStepMs: number[];
  /**
   * Spawn to the first step's record line with the fill-reducing order already in the order cache
   * (src/store/orderCacheFiles.ts; filled by an earlier run on the same network), per run (ms). firstStepMs are
   * cold starts: each run has a fresh, empty cache.
   */
  warmFirstStepMs: number[];
  /** Spawn to the first step's own time stamp in the record, per run (ms). */
  stampMs: number[];
  /** Spawn to exit of `node -e 0`, per run (ms): Node's own start. */
  nodeOnlyMs: number[];
  /** The same as firstStepMs for the CLI of CLLN_BENCH_BASELINE_CLI, when set. */
  baseline?: { cli: string; firstStepMs: number[] };
  /** `uptime` before and after. */
  uptimeStart: string;
  uptimeEnd: string;
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'uptime not available';
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Spawn `node args` and resolve when `done()` says so (polled every 2 ms) or the child exits; times in ms since spawn. */
function timeChild(args: string[], poll: () => number | null, env: NodeJS.ProcessEnv = process.env): Promise<{ seenMs: number | null; exitMs: number; spawnEpochMs: number; stampEpochMs: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const spawnEpochMs = Date.now();
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let seenMs: number | null = null;
    let stampEpochMs: number | null = null;
    const timer = setInterval(() => {
      if (seenMs !== null) return;
      const stamp = poll();
      if (stamp !== null) {
        seenMs = performance.now() - t0;
        stampEpochMs = stamp;
      }
    }, 2);
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('exit', () => {
      clearInterval(timer);
      const exitMs = performance.now() - t0;
      if (seenMs === null) {
        const stamp = poll();
        if (stamp !== null) stampEpochMs = stamp;
      }
      resolve({ seenMs, exitMs, spawnEpochMs, stampEpochMs, stderr });
    });
  });
}

/** The time stamp (epoch ms) of the first step event in the record at `path`, or null while there is none. */
function firstStepStamp(path: string): number | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  let primary: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.endsWith(']')) continue; // a line still being written
    const [kind, doc] = JSON.parse(line) as [string, { uid: string; name?: string; descriptor?: string; time: number; data?: { step?: number } }];
    if (kind === 'descriptor' && doc.name === 'primary') primary = doc.uid;
    if (kind === 'event' && doc.descriptor === primary && doc.data?.step === 0) return doc.time * 1000;
  }
  return null;
}

/** Run the start-up benchmark: `runs` timed starts of `clln train` on the 128 x 128 lattice. */
export async function runStartupBench(log: (s: string) => void, runs = 5): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'clln-startup-'));
  try {
    const net = join(dir, 'lattice128.json');
    const task = join(dir, 'task128.json');
    execFileSync(process.execPath, [cli, 'network', 'lattice', '128x128', '--diagonals', '--seed', '1', '--out', net], { stdio: 'ignore' });
    // two sources at two corners, ground at the third, two targets in the middle (as bench/solverCase.ts)
    execFileSync(process.execPath, [cli, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,127', '--targets', '8256,8257', '--ground', '16383', '--count', '16', '--test', '0', '--network', net, '--out', task], { stdio: 'ignore' });
    const networkBytes = readFileSync(net).length;
    const uptimeStart = uptime();
    const firstStepMs: number[] = [];
    const stampMs: number[] = [];
    const warmFirstStepMs: number[] = [];
    const nodeOnlyMs: number[] = [];
    const baselineCli = process.env.CLLN_BENCH_BASELINE_CLI;
    const baseline = baselineCli ? { cli: baselineCli, firstStepMs: [] as number[] } : undefined;
    for (let r = 0; r < runs; r++) {
      const node = await timeChild(['-e', '0'], () => null);
      nodeOnlyMs.push(node.exitMs);
      const record = join(dir, `run${r}.jsonl`);
      const cold = { ...process.env, CLLN_CACHE_DIR: join(dir, `cache${r}`) };
      const t = await timeChild([cli, 'train', net, task, '--steps', '1', '--record', record], () => firstStepStamp(record), cold);
      if (t.seenMs === null || t.stampEpochMs === null) throw new Error(`clln train wrote no first step (stderr: ${t.stderr.slice(0, 400)})`);
      firstStepMs.push(t.seenMs);
      stampMs.push(t.stampEpochMs - t.spawnEpochMs);
      // the same again with the order cache that run filled
      const recordW = join(dir, `warm${r}.jsonl`);
      const w = await timeChild([cli, 'train', net, task, '--steps', '1', '--record', recordW], () => firstStepStamp(recordW), cold);
      if (w.seenMs === null) throw new Error(`clln train wrote no first step (stderr: ${w.stderr.slice(0, 400)})`);
      warmFirstStepMs.push(w.seenMs);
      log(`bench: startup run ${r + 1}/${runs}: first step seen after ${t.seenMs.toFixed(0)} ms (stamp ${(t.stampEpochMs - t.spawnEpochMs).toFixed(0)} ms), with the order cached ${w.seenMs.toFixed(0)} ms, node -e 0 ${node.exitMs.toFixed(0)} ms`);
      if (baseline) {
        const recordB = join(dir, `base${r}.jsonl`);
        const b = await timeChild([baseline.cli, 'train', net, task, '--steps', '1', '--record', recordB], () => firstStepStamp(recordB), { ...process.env, CLLN_CACHE_DIR: join(dir, `cacheB${r}`) });
        if (b.seenMs === null) throw new Error(`the baseline CLI wrote no first step (stderr: ${b.stderr.slice(0, 400)})`);
        baseline.firstStepMs.push(b.seenMs);
        log(`bench: startup run ${r + 1}/${runs}: baseline first step seen after ${b.seenMs.toFixed(0)} ms`);
      }
    }
    return { targetMs: 500, nodes: 16384, edges: 64770, networkBytes, firstStepMs, warmFirstStepMs, stampMs, nodeOnlyMs, ...(baseline ? { baseline } : {}), uptimeStart, uptimeEnd: uptime() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The result as text: medians, the target beside them, the load. */
export function printStartup(r: StartupResult): string {
  const m = median(r.firstStepMs);
  return (
    `clln train on the 128x128 lattice with diagonals (${r.nodes} nodes, ${r.edges} edges, network file ${(r.networkBytes / 1e6).toFixed(1)} MB), ` +
    `${r.firstStepMs.length} runs:\n` +
    `  spawn -> first step's record line seen, cold (empty order cache): median ${m.toFixed(0)} ms (runs ${r.firstStepMs.map((x) => x.toFixed(0)).join(', ')}); ` +
    `target <= ${r.targetMs} ms: ${m <= r.targetMs ? 'met' : 'NOT met'}\n` +
    `  the same with the network's fill-reducing order already cached (a second run on it): median ${median(r.warmFirstStepMs).toFixed(0)} ms ` +
    `(runs ${r.warmFirstStepMs.map((x) => x.toFixed(0)).join(', ')}); target <= ${r.targetMs} ms: ${median(r.warmFirstStepMs) <= r.targetMs ? 'met' : 'NOT met'}\n` +
    `  spawn -> first step's time stamp: median ${median(r.stampMs).toFixed(0)} ms; node -e 0 alone: median ${median(r.nodeOnlyMs).toFixed(0)} ms\n` +
    (r.baseline
      ? `  baseline ${r.baseline.cli}: median ${median(r.baseline.firstStepMs).toFixed(0)} ms (runs ${r.baseline.firstStepMs.map((x) => x.toFixed(0)).join(', ')}); ` +
        `baseline / this ${(median(r.baseline.firstStepMs) / m).toFixed(2)}x\n`
      : '') +
    `  load (${cpus().length} CPUs): before: ${r.uptimeStart}\n` +
    `                   after:  ${r.uptimeEnd}\n`
  );
}

import { InvalidInputError, show } from '../../errors.js';
import { readEnsembleSpec, specDigest } from '../../ensemble/EnsembleSpec.js';
import { runEnsembleLocal } from '../../ensemble/pool.js';
import { checkMember } from '../../ensemble/runMember.js';
import { int, parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';
import { ProgressBar } from '../progressBar.js';
import { ensembleStatsHelp } from './ensembleStats.js';

export const ensembleHelp = `clln ensemble run SPEC --out DIR [--workers N] [--json]
clln ensemble run SPEC --queue redis://HOST:PORT/NAME --out DIR [--json]
clln ensemble status --queue redis://HOST:PORT[/NAME] [--json] [--remove]

run (local): train an ensemble of simulated networks (a clln.ensemble/1 spec: src/ensemble/README.md) on a pool of
worker threads, one per core, and write the dataset to DIR: members.parquet (one row per member: seeds, steps,
converged, train and test MSE, lowest and highest Laplacian eigenvalue, stiff cost-mode alignment),
arrays/edges.parquet (final conductances, boundary frequency f_e), arrays/nodes.parquet, spec.json and meta.json.
Spring networks (network kind springs, task kind strain) add per member the pairs, the target strains, the
projection on the softest mode, the energies E_A, E_B, E_AB and the harmonic T* per direction (src/ensemble/README.md).
Resumable: each member is stored as it finishes (DIR/members/); running the same command again runs only the
members not stored yet (one cut off by a kill is run again) and never stores a member twice.
  --out DIR      the dataset folder (created; an existing one must hold the same spec)
  --workers N    worker threads (default: the cores)
  --json         print {members, ran, failed, failedTotal, restarts, skipped, workers, seconds, out, specDigest}
  A member whose computation fails is stored once as failed (status and error in members.parquet, no arrays) and
  the run goes on; a worker thread that dies is replaced and its member redone, at most 3 times, then exit 1.
  A progress bar with an ETA is drawn on stderr when it is a terminal.

run --queue (beyond one machine): enqueue the members as jobs on the BullMQ queue NAME in Redis and store each
result in DIR as workers ('clln worker --queue redis://HOST:PORT/NAME', on any machines that reach Redis) finish
them; then write the same dataset as a local run. Run again to continue: members in DIR are not enqueued again,
members that failed get their attempts again. Workers need no access to DIR.
  --json         print {queue, digest, members, enqueued, storedBefore, storedNow, duplicatesRefused, dir} at the end

status: per queue (all clln ensemble queues on that Redis when NAME is left out): members, jobs waiting, active,
delayed, completed (not yet stored), failed, and members stored by the coordinator.
  --remove       delete queue NAME's jobs and keys from Redis (the dataset folder is untouched)

Exit codes: 0 done, 2 bad input (spec, options, URL, a folder or queue holding another ensemble), 1 run failure
(a member failed, Redis unreachable).

${ensembleStatsHelp}`;

/**
 * `clln ensemble SUBCOMMAND ...`: one dispatch line per subcommand. The queue's (run --queue, status) load BullMQ
 * only when used.
 */
export async function ensemble(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'run' && rest.some((a) => a === '--queue' || a.startsWith('--queue='))) return (await import('./ensembleQueue.js')).ensembleQueue(argv, io);
  if (sub === 'run') return ensembleRun(rest, io);
  if (sub === 'status') return (await import('./ensembleQueue.js')).ensembleQueue(argv, io);
  if (sub === 'stats') return (await import('./ensembleStats.js')).ensembleStats(rest, io);
  throw new InvalidInputError({ source: 'clln ensemble' }, `expected a subcommand (run, status, stats), got ${sub === undefined ? 'none' : show(sub)}`, "see 'clln help ensemble'");
}

async function ensembleRun(argv: string[], io: Io): Promise<number> {
  const p = parse('ensemble run', argv, { out: { type: 'string' }, workers: { type: 'string' }, json: { type: 'boolean' } });
  const [specPath] = positionals(p, 'ensemble run', ['SPEC']);
  const out = str(p, 'out');
  if (!out) throw new InvalidInputError({ source: 'clln ensemble run' }, '--out DIR is required', 'give the dataset folder, e.g. --out ens1');
  const workers = int(p, 'workers', 1);
  const json = p.values.json === true;
  const spec = readEnsembleSpec(specPath);
  // generate member 0 here, so that a spec whose network and task do not fit (a node id beyond a board's nodes, a
  // nonlinear board) is bad input before any worker starts
  checkMember(spec, 0);

  const bar = io.stderr.isTTY ? new ProgressBar(io.stderr, spec.members, `ensemble ${spec.name}`) : undefined;
  const t0 = performance.now();
  const summary = await runEnsembleLocal(spec, out, {
    workers,
    onProgress: bar
      ? (q) => {
          const elapsed = (performance.now() - t0) / 1000;
          const eta = q.work > 0 ? (elapsed * (q.todo - q.work)) / q.work : NaN;
          bar.update(q.stored, `ETA ${duration(eta)}`);
        }
      : undefined,
  });
  bar?.finish();
  if (json) {
    io.stdout.write(JSON.stringify({ ...summary, out, specDigest: specDigest(spec) }) + '\n');
  } else {
    const resumed = summary.skipped > 0 ? ` (${summary.skipped} stored before, not run again)` : '';
    const failed = summary.failedTotal > 0 ? `; ${summary.failedTotal} failed (status and error in members.parquet)` : '';
    io.stdout.write(`ensemble ${spec.name}: ${summary.members} members, ${summary.ran} run on ${summary.workers} workers in ${summary.seconds.toFixed(1)} s${resumed}${failed}; dataset in ${out}\n`);
  }
  return 0;
}

/** Seconds as `1h02m`, `3m05s` or `12s`; `?` before the first estimate. */
function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const r = Math.round(s);
  if (r >= 3600) return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
  if (r >= 60) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${r}s`;
}

/**
 * The queue's subcommands of `clln ensemble` (issue 16, beyond one machine): `run SPEC --queue URL --out DIR` (the
 * coordinator) and `status --queue URL`. ensemble.ts dispatches here when `run` has --queue, and for `status`.
 */
import { resolve } from 'node:path';
import { readEnsembleSpec } from '../../ensemble/EnsembleSpec.js';
import { runEnsembleQueue } from '../../ensemble/queue/coordinator.js';
import { parseQueueUrl } from '../../ensemble/queue/queueUrl.js';
import { queueStatus, removeQueue } from '../../ensemble/queue/status.js';
import { checkMember } from '../../ensemble/runMember.js';
import { InvalidInputError } from '../../errors.js';
import { parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';
import { ProgressBar } from '../progressBar.js';

/** `run --queue` and `status` (their help is part of ensemble.ts's). */
export async function ensembleQueue(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'run') return queueRun(rest, io);
  if (sub === 'status') return queueStatusCommand(rest, io);
  throw new InvalidInputError({ source: 'clln ensemble' }, `no queue subcommand ${JSON.stringify(sub ?? '')}`, "use 'run SPEC --queue URL --out DIR' or 'status --queue URL'");
}

async function queueRun(argv: string[], io: Io): Promise<number> {
  const p = parse('ensemble run', argv, { queue: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
  const [specPath] = positionals(p, 'ensemble run', ['SPEC']);
  const queueText = str(p, 'queue');
  const out = str(p, 'out');
  if (queueText === undefined) throw new InvalidInputError({ source: 'clln ensemble run' }, '--queue is missing', 'add --queue redis://HOST:PORT/NAME');
  if (out === undefined) throw new InvalidInputError({ source: 'clln ensemble run' }, '--out is missing', 'add --out DIR (the dataset folder)');
  const url = parseQueueUrl(queueText);
  const spec = readEnsembleSpec(specPath);
  // member 0 here, as for a local run: a spec whose network and task do not fit (a board's node ids) is bad input
  // before anything is enqueued, not a failure on every worker
  checkMember(spec, 0);
  const dir = resolve(out);
  const json = p.values.json === true;
  const tty = !json && io.stderr.isTTY === true;
  let bar: ProgressBar | undefined;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.on('SIGINT', onSigint);
  let drawn = false;
  try {
    const summary = await runEnsembleQueue(spec, url, dir, {
      signal: controller.signal,
      onProgress: (s) => {
        if (!tty) return;
        bar ??= new ProgressBar(io.stderr, s.members, `ensemble ${url.name}`);
        drawn = true;
        bar.update(s.stored, 'stored');
      },
    });
    if (drawn) bar!.finish();
    if (json) io.stdout.write(JSON.stringify(summary) + '\n');
    else {
      const failed = summary.failedTotal > 0 ? `; ${summary.failedTotal} failed (their computation threw: stored with status failed and the error, no results)` : '';
      io.stdout.write(`${summary.members} members in ${dir} (${summary.storedNow} stored now, ${summary.storedBefore} before) via queue ${url.display}${failed}\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function queueStatusCommand(argv: string[], io: Io): Promise<number> {
  const p = parse('ensemble status', argv, { queue: { type: 'string' }, json: { type: 'boolean' }, remove: { type: 'boolean' } });
  positionals(p, 'ensemble status', []);
  const queueText = str(p, 'queue');
  if (queueText === undefined) throw new InvalidInputError({ source: 'clln ensemble status' }, '--queue is missing', 'add --queue redis://HOST:PORT[/NAME]');
  const remove = p.values.remove === true;
  const url = parseQueueUrl(queueText, remove);
  if (remove) {
    await removeQueue(url);
    io.stdout.write(p.values.json === true ? JSON.stringify({ removed: url.name }) + '\n' : `removed queue ${url.name} from ${url.display}\n`);
    return 0;
  }
  const list = await queueStatus(url);
  if (p.values.json === true) {
    io.stdout.write(JSON.stringify(list) + '\n');
    return 0;
  }
  if (list.length === 0) {
    io.stdout.write(`no clln ensemble queues on ${url.display}\n`);
    return 0;
  }
  const header = ['queue', 'members', 'waiting', 'active', 'delayed', 'completed', 'failed', 'stored'];
  const rows = list.map((s) => [s.queue, String(s.members ?? '—'), String(s.waiting), String(s.active), String(s.delayed), String(s.completed), String(s.failed), String(s.stored)]);
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  io.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
  return 0;
}

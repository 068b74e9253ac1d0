import { existsSync } from 'node:fs';
import { DEFAULT_RUNS_DIR, listRuns, type RunSummary } from '../../store/listRuns.js';
import { parse, positionals } from '../args.js';
import type { Io } from '../Io.js';

export const runsHelp = `clln runs [DIR] [--json]
  List the runs recorded in DIR (default ${DEFAULT_RUNS_DIR}/ in the working directory; runs are *.jsonl files):
  file, start time (UTC), plan, steps recorded, status and the cost of the last step.
  Status: complete, aborted, failed (the run ended and says how), interrupted (no stop document: the host was
  stopped or crashed; 'clln resume RUN' continues it), invalid (not a readable run file; the reason is shown).
  --json   print a JSON array of {path, file, uid, time, plan_name, steps, status, last_cost, evaluations,
           last_test_mse (V^2, of the last evaluation recorded), torn, error?}`;

export function runs(argv: string[], io: Io): number {
  const p = parse('runs', argv, { json: { type: 'boolean' } });
  const [dirArg] = positionals(p, 'runs', ['[DIR]'], 1);
  const dir = dirArg ?? DEFAULT_RUNS_DIR;
  const json = p.values.json === true;
  // the default directory not existing yet just means nothing has been recorded; a named one must exist
  const list: RunSummary[] = dirArg === undefined && !existsSync(dir) ? [] : listRuns(dir);
  if (json) {
    io.stdout.write(JSON.stringify(list) + '\n');
    return 0;
  }
  if (list.length === 0) {
    io.stdout.write(`no runs in ${dir}/\n`);
    return 0;
  }
  const header = ['file', 'started (UTC)', 'plan', 'steps', 'status', 'last cost'];
  const rows = list.map((r) => [
    r.file,
    r.time === null ? '—' : new Date(r.time * 1000).toISOString().slice(0, 19).replace('T', ' '),
    r.plan_name ?? '—',
    String(r.steps),
    r.status + (r.torn ? ' (torn line)' : ''),
    r.last_cost === null ? '—' : r.last_cost.toExponential(3),
  ]);
  const lines = [table(header, rows)];
  for (const r of list) if (r.error) lines.push(`${r.file}: ${r.error}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = [false, false, false, true, false, true];
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [line(header), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

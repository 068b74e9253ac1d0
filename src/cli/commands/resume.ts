import { openBoardRun } from '../../pipeline/openBoardRun.js';
import { readRun } from '../../store/readRun.js';
import { TRAINER_CLI_KINDS } from './trainSimulated.js';
import { parse, positionals } from '../args.js';
import type { Io } from '../Io.js';
import { reportBoardRun } from '../reportBoardRun.js';

export const resumeHelp = `clln resume RUN [--json]
  Continue a training run that was interrupted (killed, crashed, power lost) from its last recorded step:
  reconnect to the same board (a twin is started again with the recorded options), put the recorded edge
  settings back on the board, and run the remaining steps, appending to the same record. A torn last line
  (a step being written when the host died) is dropped; that step is run again.
  A simulated run (clln train NETWORK TASK) continues in process from its last conductance snapshot, the steps
  recorded after it replayed and checked against their digests: it ends with the numbers of an uninterrupted run.
  A spring-network run (clln train NET.springs.json TASK.strain.json) continues the same way, from its last
  stiffness snapshot.
  --json   print the final object of 'clln train --json'`;

export async function resume(argv: string[], io: Io): Promise<number> {
  const p = parse('resume', argv, { json: { type: 'boolean' } });
  const [path] = positionals(p, 'resume', ['RUN']);
  // a simulated run (clln train NETWORK TASK, of any network kind) continues in process, replayed from its last snapshot
  const start = readRun(path).start;
  const kind = TRAINER_CLI_KINDS.find((k) => k.isRun(start));
  if (kind) return kind.resume(path, p.values.json === true, io);
  const run = await openBoardRun({ resume: path });
  try {
    if (p.values.json !== true) io.stderr.write(`clln resume: ${path}: continuing at step ${run.plan.startStep} of ${run.planned.steps ?? '?'}\n`);
    return await reportBoardRun(run, { label: run.connection.spec, taskPath: run.files.taskSource, json: p.values.json === true }, io);
  } finally {
    await run.close();
  }
}

import { connectBoard } from '../../device/connectBoard.js';
import type { BoardIdentity } from '../../device/Board.js';
import { checkEdgeSetting } from '../../device/validateBoardValues.js';
import { InvalidInputError } from '../../errors.js';
import { resumePoint, RunRecorder } from '../../pipeline/runRecord.js';
import { recordedEdgeLaw } from '../../pipeline/boardEdgeLaw.js';
import { STEP_LAYOUT, StepRecordLayout } from '../../pipeline/StepRecordLayout.js';
import { checkPlanOnBoard, resolvePlan, type PlanFieldLocation } from '../../pipeline/TrainingPlan.js';
import { eventLine } from '../../store/readRun.js';
import { RunWriter } from '../../store/RunWriter.js';
import { parse, positionals } from '../args.js';
import type { Io } from '../Io.js';
import { checkNetworkMatchesBoard, runAndReport, stepChecker } from './trainBoard.js';

export const resumeHelp = `clln resume RUN [--json]
  Continue a training run that was interrupted (killed, crashed, power lost) from its last recorded step:
  reconnect to the same board (a twin is started again with the recorded options), put the recorded edge
  settings back on the board, and run the remaining steps, appending to the same record. A torn last line
  (a step being written when the host died) is dropped; that step is run again.
  --json   print the final object of 'clln train --json'`;

export async function resume(argv: string[], io: Io): Promise<number> {
  const p = parse('resume', argv, { json: { type: 'boolean' } });
  const [path] = positionals(p, 'resume', ['RUN']);
  const { writer, record } = RunWriter.resume(path);
  let closed = false;
  try {
    const last = record.events[record.events.length - 1];
    const rp = resumePoint(path, record.start as Record<string, unknown>, last);
    // the recorded plan is checked like a new one, before a board is touched: a record is input too
    const where: PlanFieldLocation = (field) => ({ source: `${path}: line 1`, field: `start.plan.${field}` });
    const plan = resolvePlan(rp.plan, where);
    const board = await connectBoard(rp.connection.spec, rp.connection);
    try {
      const fresh = await board.identify();
      // the run goes on with the law it was checked against, as recorded (the board's ID, or its --board-file)
      const started = (record.start as { board?: BoardIdentity }).board;
      const id = started && recordedEdgeLaw(started, `${path}: line 1`) ? { ...fresh, law: started.law } : fresh;
      checkNetworkMatchesBoard(rp.network, id, `${path}: line 1: start.network`);
      checkPlanOnBoard(plan, id, where);
      rp.calibration?.checkBoard(id, `${path}: line 1: start.calibration.record`);
      if (rp.settings) {
        checkRecordedSettings(rp.settings, id, path, eventLine(last.seq_num));
        // the board holds whatever it held when the host died (or its power-on state): the record is the truth
        await board.writeEdges(new Map(Array.from(rp.settings, (v, e) => [e, v] as [number, number])));
      }
      // appended events keep the record's own layout (also that of a record written by clln 0.1.0)
      const layout = StepRecordLayout.ofRecord(path, record.descriptor);
      const checker = await stepChecker(board, id, resolvePlan(rp.plan).samples, rp.calibration);
      if (layout.layout === STEP_LAYOUT && layout.dataKeys.alarm && !checker) {
        throw new InvalidInputError({ source: path, field: 'descriptor.data_keys.alarm' }, `the run checked every step, but board ${id.model}'s edge law is unknown here (not a shipped model, no calibration)`, 'resume it where the board model is known');
      }
      if (p.values.json !== true) io.stderr.write(`clln resume: ${path}: continuing at step ${rp.startStep} of ${rp.plan.steps ?? '?'}\n`);
      closed = true; // runAndReport stops (and closes) the writer
      return await runAndReport(board, id, rp.plan, new RunRecorder(writer, layout), { label: rp.connection.spec, taskPath: `${path} (task)`, json: p.values.json === true, recordPath: path }, io, { calibration: rp.calibration, checker });
    } finally {
      await board.close();
    }
  } finally {
    if (!closed) writer.close();
  }
}

/** What to do about a value in a record that clln would not have written. */
const EDITED = 'the record was changed after it was written: correct the value, or start a new run';

/**
 * The settings recorded with the last step must fit the board they go back to (one per edge, each a valid tap or
 * gate voltage); a problem names the record file, the event's line and the field, not the board.
 */
function checkRecordedSettings(settings: Float64Array, id: BoardIdentity, path: string, line: number): void {
  const field = `line ${line}: data.settings`;
  const fix = `${EDITED}; or the record is not from this board`;
  if (settings.length !== id.edges.length) {
    throw new InvalidInputError({ source: path, field }, `holds ${settings.length} settings, but board ${id.model} has ${id.edges.length} edges`, fix);
  }
  settings.forEach((s, e) => relabel(path, `${field}[${e}]`, () => checkEdgeSetting(id, `edges[${e}]`, s), `on board ${id.model}`, fix));
}

/** Run `check`; an InvalidInputError it throws is raised again naming `path` and `field` (plus the error's own field). */
function relabel<T>(path: string, field: string, check: () => T, note = '', fix?: string): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const sub = e.field && !field.endsWith(']') ? `.${e.field}` : '';
    throw new InvalidInputError({ source: path, field: field + sub }, `${e.problem}${note ? ` ${note}` : ''}`, fix ?? e.fix);
  }
}

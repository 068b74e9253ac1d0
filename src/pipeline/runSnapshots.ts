/**
 * A training run record as conductance snapshots, for the spectrum's evolution (`clln diagnose --run`): the network
 * and task from the start document, and per recorded step the edge settings turned into conductances by the
 * calibration the run used, or else by the board model's nominal law. Gate boards' conductances depend on the node
 * voltages: those of the step's free state are used (calibrated where a calibration is loaded).
 */
import { Calibration } from '../calibration/Calibration.js';
import { checkCalibrationPlausible } from '../calibration/plausibility.js';
import { parseCalibrationRecord } from '../calibration/recordFile.js';
import { eventLine } from '../store/readRun.js';
import { referenceVoltage, settingsToConductance, type EdgeLaw } from '../physics/edgeLaws.js';
import { recordedEdgeLaw } from './boardEdgeLaw.js';
import type { ConductanceSnapshot } from '../diagnostics/spectrumEvolution.js';
import { InvalidInputError, show } from '../errors.js';
import { parseNetwork } from '../formats/networkFile.js';
import { parseTask } from '../formats/taskFile.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import type { RunRecord } from '../store/documents.js';
import type { TrainingStart } from './runRecord.js';

export interface RunSnapshots {
  net: Network;
  task: Task;
  snapshots: ConductanceSnapshot[];
  /** What turned settings into conductances. */
  law: 'calibration' | 'nominal';
  /** The run's plan (eta, amp, ...), as recorded. */
  plan: TrainingStart['plan'];
  boardModel: string;
}

/**
 * @param nominalLaw the board model's edge law for an identified model name (undefined when unknown); used when the
 *   run has no calibration
 */
export function runSnapshots(run: RunRecord, nominalLaw: (model: string) => EdgeLaw | undefined): RunSnapshots {
  const s = run.start as Partial<TrainingStart>;
  if (!s.network || !s.task || !s.board || !s.plan) {
    throw new InvalidInputError({ source: run.path, field: 'start' }, 'is not a clln training run (no network, task, board or plan in its start document)', 'use a run written by clln train --board');
  }
  const net = parseNetwork(s.network, `${run.path}: line 1: start.network`);
  const task = parseTask(s.task, `${run.path}: line 1: start.task`, net);
  let cal: Calibration | undefined;
  if (s.calibration?.record) {
    const source = `${run.path}: line 1: start.calibration.record`;
    const record = parseCalibrationRecord(s.calibration.record, source);
    checkCalibrationPlausible(record, source);
    cal = new Calibration(record);
  }
  // the law the run recorded (its board's ID or board file), else the caller's for the model (records before 1.2)
  const model = cal ? undefined : (recordedEdgeLaw(s.board, `${run.path}: line 1`) ?? nominalLaw(s.board.model));
  // gate laws without recorded voltages: the nominal convention (src/physics/edgeLaws.ts), every node at mid-ADC
  const mid = (): Float64Array => new Float64Array(net.nodes).fill(referenceVoltage(s.board!.adc));
  if (!cal && !model) {
    throw new InvalidInputError({ source: run.path, field: 'start.board.model' }, `board ${s.board.model} did not record its edge law (protocol 1.1, no board file), is not a shipped model, and the run has no calibration, so its settings cannot be turned into conductances`, 'diagnose a network file instead');
  }
  const snapshots: ConductanceSnapshot[] = [];
  const E = net.edgeA.length;
  for (const ev of run.events) {
    const d = ev.data as { step?: number; settings?: unknown[] | null; vf?: unknown[]; vf_raw?: unknown[] };
    // the calibration's law takes the readings as the ADC gave them: `vf_raw` in a calibrated clln.steps/3 record
    const rawKey = d.vf_raw !== undefined ? 'vf_raw' : 'vf';
    const rawVf = d.vf_raw ?? d.vf;
    if (!Array.isArray(d.settings) || typeof d.step !== 'number') continue;
    // a bad recorded value is named by the record's file, line and field, not by the law it breaks
    const where = (field: string) => ({ source: run.path, field: `line ${eventLine(ev)}: data.${field}` });
    const fix = 'the record was changed after it was written: correct the value, or diagnose a network file instead';
    if (d.settings.length !== E) throw new InvalidInputError(where('settings'), `holds ${d.settings.length} settings, but the run's network has ${E} edges`, fix);
    const vf = rawVf && rawVf.length === net.nodes ? rawVf : undefined;
    for (const [key, list] of [['settings', d.settings], [rawKey, vf ?? []]] as const) {
      list.forEach((x, i) => {
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidInputError(where(`${key}[${i}]`), `must be a finite number, got ${show(x)}`, fix);
      });
    }
    const settings = Float64Array.from(d.settings as number[]);
    let k: Float64Array;
    try {
      if (cal) {
        const volts = vf ? cal.readingsToVolts(vf as number[]) : undefined;
        k = cal.conductances(settings, volts ?? mid());
      } else {
        const v = vf ? Float64Array.from(vf as number[]) : mid();
        k = settingsToConductance(model!, settings, { edgeA: net.edgeA, edgeB: net.edgeB, voltages: v });
      }
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      throw new InvalidInputError(where(e.field ?? 'settings'), e.problem, fix);
    }
    // the settings recorded with step s are those after its update
    snapshots.push({ step: d.step + 1, conductance: k });
  }
  if (snapshots.length === 0) {
    throw new InvalidInputError({ source: run.path, field: 'events' }, 'records no edge settings', 'record the run (clln train --board ... --record FILE) and let it take at least one step');
  }
  return { net, task, snapshots, law: cal ? 'calibration' : 'nominal', plan: s.plan, boardModel: s.board.model };
}

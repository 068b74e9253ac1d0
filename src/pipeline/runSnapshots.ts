/**
 * A training run record as conductance snapshots, for the spectrum's evolution (`clln diagnose --run`): the network
 * and task from the start document, and per recorded step the edge settings turned into conductances by the
 * calibration the run used, or else by the board model's nominal law. Gate boards' conductances depend on the node
 * voltages: those of the step's free state are used (calibrated where a calibration is loaded).
 */
import { Calibration } from '../calibration/Calibration.js';
import { parseCalibrationRecord } from '../calibration/recordFile.js';
import { settingsToConductance, type ConductanceModel } from '../diagnostics/conductanceModel.js';
import type { ConductanceSnapshot } from '../diagnostics/spectrumEvolution.js';
import { InvalidInputError } from '../errors.js';
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
export function runSnapshots(run: RunRecord, nominalLaw: (model: string) => ConductanceModel | undefined): RunSnapshots {
  const s = run.start as Partial<TrainingStart>;
  if (!s.network || !s.task || !s.board || !s.plan) {
    throw new InvalidInputError({ source: run.path, field: 'start' }, 'is not a clln training run (no network, task, board or plan in its start document)', 'use a run written by clln train --board');
  }
  const net = parseNetwork(s.network, `${run.path} (start.network)`);
  const task = parseTask(s.task, `${run.path} (start.task)`, net);
  const cal = s.calibration?.record ? new Calibration(parseCalibrationRecord(s.calibration.record, `${run.path} (start.calibration.record)`)) : undefined;
  const model = cal ? undefined : nominalLaw(s.board.model);
  if (!cal && !model) {
    throw new InvalidInputError({ source: run.path, field: 'start.board.model' }, `board ${s.board.model} is not a shipped model and the run has no calibration, so its settings cannot be turned into conductances`, 'diagnose a network file instead');
  }
  const snapshots: ConductanceSnapshot[] = [];
  for (const ev of run.events) {
    const d = ev.data as { step?: number; settings?: number[] | null; vf?: number[] };
    if (!Array.isArray(d.settings) || typeof d.step !== 'number') continue;
    const settings = Float64Array.from(d.settings);
    let k: Float64Array;
    if (cal) {
      const volts = d.vf && d.vf.length === net.nodes ? cal.readingsToVolts(d.vf) : undefined;
      k = cal.conductances(settings, volts ?? new Float64Array(net.nodes));
    } else {
      const v = d.vf && d.vf.length === net.nodes ? Float64Array.from(d.vf) : new Float64Array(net.nodes);
      k = settingsToConductance(model!, settings, { edgeA: net.edgeA, edgeB: net.edgeB, voltages: v });
    }
    // the settings recorded with step s are those after its update
    snapshots.push({ step: d.step + 1, conductance: k });
  }
  if (snapshots.length === 0) {
    throw new InvalidInputError({ source: run.path, field: 'events' }, 'records no edge settings', 'record the run (clln train --board ... --record FILE) and let it take at least one step');
  }
  return { net, task, snapshots, law: cal ? 'calibration' : 'nominal', plan: s.plan, boardModel: s.board.model };
}

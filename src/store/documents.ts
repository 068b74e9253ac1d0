/**
 * The documents of a run record (Bluesky event model): one `start`, one `descriptor` (stream `primary`),
 * one `event` per training step, and a `stop` when the run ended on purpose. A run file holds one document per
 * line as a JSON array `[name, doc]`. See src/store/README.md for the format with an example.
 */
import { randomUUID } from 'node:crypto';

/** A JSON value as read back from a run file. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The `start` document: everything needed to reproduce the run. The store requires only `uid` and `time`
 * (epoch seconds); by convention clln writes `plan_name`, `software: {name, version}`, `seed`, `board`
 * (identity or null), `calibration` (or null), `network` (clln.network/1), `task` (clln.task/1) and the rule
 * and its options.
 */
export interface StartDoc {
  uid: string;
  /** Epoch seconds. */
  time: number;
  plan_name?: string;
  [key: string]: unknown;
}

/** Kind of a recorded value, as in the Bluesky event model. */
export type DataKeyDtype = 'number' | 'integer' | 'array' | 'string' | 'boolean';

/** Description of one data key of the event stream. */
export interface DataKey {
  dtype: DataKeyDtype;
  /** [] for a scalar, [n] for an array of n values. */
  shape: number[];
  /** Where the value comes from, e.g. `board:ADC`, `twin`, `host:rule`. */
  source: string;
  units?: string;
  /** Arrays: what each axis runs over, e.g. `['node']` or `['edge']` (the event model's `dims`). */
  dims?: string[];
  /** Arrays: the type of every element, as a numpy dtype string: `<f8` (number), `<i8` (integer), `|b1` (boolean). */
  dtype_numpy?: string;
  /**
   * Arrays over nodes: the node each element belongs to (length `shape[0]`), e.g. `[9, 10]` for readings of the
   * targets 9 and 10. Exports name the columns after these nodes (`vf_9`, `vf_10`).
   */
  nodes?: number[];
  /** The value may be null in an event (it is absent for that step); without this, every event holds a value. */
  nullable?: boolean;
  [key: string]: unknown;
}

/** The `descriptor` document of the `primary` stream: what every event's `data` holds. */
export interface DescriptorDoc {
  uid: string;
  run_start: string;
  /** Epoch seconds. */
  time: number;
  name: string;
  data_keys: Record<string, DataKey>;
  [key: string]: unknown;
}

/** What {@link RunWriter.create} needs of the descriptor: uid, run_start, time and name are filled in when absent. */
export type DescriptorInput = Omit<DescriptorDoc, 'uid' | 'run_start' | 'time' | 'name'> & Partial<Pick<DescriptorDoc, 'uid' | 'run_start' | 'time' | 'name'>>;

/** One `event` document: one training step (`primary`) or one evaluation (`evaluation`). */
export interface EventDoc {
  uid: string;
  descriptor: string;
  /** Epoch seconds. */
  time: number;
  /** 1-based, contiguous within its stream (descriptor). */
  seq_num: number;
  data: Record<string, JsonValue>;
  /** Epoch seconds at which each data value was taken. */
  timestamps: Record<string, number>;
}

/** How a run ended. */
export type ExitStatus = 'success' | 'abort' | 'fail';

/** The `stop` document. */
export interface StopDoc {
  uid: string;
  run_start: string;
  /** Epoch seconds. */
  time: number;
  exit_status: ExitStatus;
  reason: string;
  num_events: Record<string, number>;
  [key: string]: unknown;
}

/** Status of a run as seen from its file: a run without a stop document was interrupted (and can be resumed). */
export type RunStatus = 'complete' | 'aborted' | 'failed' | 'interrupted';

/** A run read back from its file. */
export interface RunRecord {
  path: string;
  start: StartDoc;
  descriptor: DescriptorDoc;
  /** The `primary` stream's events: one per training step. */
  events: EventDoc[];
  /**
   * The `evaluation` stream (issue 15, contract A): its descriptor and events (train and test MSE before the first
   * step, every --eval-every steps, and after the finish). Absent in records without evaluations.
   */
  evaluation?: { descriptor: DescriptorDoc; events: EventDoc[] };
  stop?: StopDoc;
  /** A torn last line (a crash in the middle of a write) was found and ignored. */
  torn: boolean;
  status: RunStatus;
}

/** A fresh document uid. */
export function newUid(): string {
  return randomUUID();
}

/** Current time in epoch seconds (the default clock of the store). */
export function epochSeconds(): number {
  return Date.now() / 1000;
}

/** Run status from a stop document (or its absence). */
export function statusOf(stop: StopDoc | undefined): RunStatus {
  if (!stop) return 'interrupted';
  return stop.exit_status === 'success' ? 'complete' : stop.exit_status === 'abort' ? 'aborted' : 'failed';
}

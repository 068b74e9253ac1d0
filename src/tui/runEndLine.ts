/**
 * The log line that says how a dashboard run ended. An aborted run has no final evaluation (its MSEs are NaN by the
 * engine's contract), so the line never prints a bare "MSE NaN": it says the final MSE was not measured and shows
 * the latest evaluation there was, labelled with its step.
 */
import { formatSig } from '../formatNumber.js';
import type { Evaluation, RunSummary } from '../pipeline/TrainingEngine.js';

/** `train X, test Y V^2` of an evaluation (a set without examples shows `-`), 4 significant digits. */
function mses(e: Pick<Evaluation, 'trainMse' | 'testMse'>): string {
  return `train MSE ${formatSig(e.trainMse, 4)}, test MSE ${formatSig(e.testMse, 4)} V^2`;
}

/** The line (pure). `extra` (e.g. where the record is) is appended after a `;`. */
export function runEndLine(s: Pick<RunSummary, 'state' | 'stepsDone' | 'reason' | 'trainMse' | 'testMse' | 'evaluations'>, extra = ''): string {
  const head = `run ${s.state} after ${s.stepsDone} steps (${s.reason})`;
  const measured = Number.isFinite(s.trainMse) || Number.isFinite(s.testMse);
  let body: string;
  if (measured) body = `: ${mses(s)}`;
  else {
    const last = s.evaluations.length ? s.evaluations[s.evaluations.length - 1] : undefined;
    const why = s.state === 'aborted' ? 'aborted' : s.state;
    body = `: final MSE not measured (${why})${last ? `; last evaluation at step ${last.step}: ${mses(last)}` : ''}`;
  }
  return `${head}${body}${extra ? `; ${extra}` : ''}`;
}

import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { connectBoard } from '../../device/connectBoard.js';
import type { BoardIdentity } from '../../device/Board.js';
import type { EdgeLaw } from '../../physics/edgeLaws.js';
import { InvalidInputError } from '../../errors.js';
import { readPlanFile } from '../../calibration/planFile.js';
import { checkCalibrationPlausible } from '../../calibration/plausibility.js';
import { writeCalibrationFile } from '../../calibration/recordFile.js';
import type { CalibrationRecord } from '../../calibration/types.js';
import { calibrateBoard } from '../../pipeline/calibrateBoard.js';
import { shippedNominals } from '../../pipeline/boardModels.js';
import { boardEdgeLaw, identityWithLaw } from '../../pipeline/boardEdgeLaw.js';
import { readBoardFile } from '../../formats/boardFile.js';
import { fileStamp } from '../../pipeline/newRunPath.js';
import { parse, positionals, str } from '../args.js';
import { BOARD_FILE_HELP, BOARD_FILE_OPTION, boardFileOption, TWIN_HELP, TWIN_OPTIONS, twinConnectOptions } from '../boardOptions.js';
import type { Io } from '../Io.js';
import { ProgressBar } from '../progressBar.js';

export const calibrateHelp = `clln calibrate --board twin[:MODEL]|pty[:MODEL]|serial:PATH [options]
  Fit the board to its twin: for every edge configuration of the plan, apply every source pattern and read every
  node; then fit each ADC channel's gain and offset, each DAC channel's gain and offset, and each edge's law (tap
  boards: per-edge end resistances of the geometric or linear tap law; gate boards: per-edge s and V_T), and report which
  parameters the plan cannot determine and which patterns would. The board's settings, sources and clamps are put
  back afterwards. See calibration/README.md for the plan and record formats.
  --plan FILE            calibration plan (clln.calibration-plan/1); default calibration/plans/MODEL.json
  --out FILE             calibration record to write (clln.calibration/1); default calibration-MODEL-UID-TIME.json;
                         an existing file is never overwritten
${BOARD_FILE_HELP}
  --model FILE           the same as --board-file (its older name)
  --json                 print one JSON object {file, id, converged, reason, iterations, residual, identifiability}
${TWIN_HELP}
  Exit code 1 when the fit did not converge (the record is still written: no measurement is lost).
  On a terminal, progress (measurements, then fit iterations) is drawn on stderr.`;

export async function calibrate(argv: string[], io: Io): Promise<number> {
  const p = parse('calibrate', argv, {
    board: { type: 'string' },
    plan: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    json: { type: 'boolean' },
    ...BOARD_FILE_OPTION,
    ...TWIN_OPTIONS,
  });
  positionals(p, 'calibrate', []);
  const spec = str(p, 'board');
  if (!spec) throw new InvalidInputError({ source: 'clln calibrate' }, '--board is required', 'e.g. --board twin, --board pty or --board serial:/dev/ttyACM0');
  const planPath = str(p, 'plan');
  const plan = planPath ? readPlanFile(planPath) : undefined;
  if (str(p, 'model') !== undefined && str(p, 'board-file') !== undefined) {
    throw new InvalidInputError({ source: '--model' }, 'is the older name of --board-file, and both are given', 'give the board file once, with --board-file FILE');
  }
  const boardFile = boardFileOption(p) ?? (str(p, 'model') !== undefined ? { path: str(p, 'model')!, model: readBoardFile(str(p, 'model')!) } : undefined);
  let out = str(p, 'out');
  if (out && existsSync(out)) {
    throw new InvalidInputError({ source: '--out' }, `${out} exists; a calibration record is never overwritten`, 'choose a new file name');
  }
  const json = p.values.json === true;
  const board = await connectBoard(spec, twinConnectOptions(p));
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.on('SIGINT', onSigint);
  try {
    const id = identityWithLaw(await board.identify(), boardFile);
    // the fit needs the nominal law (ID law= or the board file); exit 2 with the fix when neither gives it
    const nominal: EdgeLaw = boardEdgeLaw(id);
    // ADC noise is not in ID: the board file's, else the shipped model's, else none beyond quantisation
    const noiseRms = boardFile ? boardFile.model.adc.noise : (shippedNominals(id.model)?.adcNoise ?? 0);
    out ??= defaultCalibrationPath(id);
    if (existsSync(out)) throw new InvalidInputError({ source: '--out' }, `${out} exists; a calibration record is never overwritten`, 'choose a new file name');
    const bar = !json && io.stderr.isTTY ? { acquire: undefined as ProgressBar | undefined } : undefined;
    const fit = await calibrateBoard(board, {
      plan,
      planSource: planPath,
      nominal,
      noiseRms,
      signal: abort.signal,
      onProgress: (pr) => {
        if (!bar) return;
        bar.acquire ??= new ProgressBar(io.stderr, pr.total, 'measure');
        bar.acquire.update(pr.done, `configuration ${pr.configuration + 1}/${pr.configurations}`);
        if (pr.done === pr.total) {
          bar.acquire.finish();
          io.stderr.write('fitting...\n');
        }
      },
      onFitIteration: (it, cost) => {
        if (bar) io.stderr.write(`\rfit iteration ${it}, cost ${cost.toExponential(3)}\x1b[K`);
      },
    });
    if (bar) io.stderr.write('\n');
    mkdirSync(dirname(out), { recursive: true });
    writeCalibrationFile(out, fit.record);
    // the record is written whatever it holds (no measurement is lost), but one that will be refused on load is said so
    try {
      checkCalibrationPlausible(fit.record, out, nominal);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      io.stderr.write(`clln calibrate: warning: the fit is not plausible for a working board, so train and check will refuse the record: ${e.message}\n`);
    }
    if (json) {
      io.stdout.write(
        JSON.stringify({
          file: out,
          id: fit.record.id,
          converged: fit.converged,
          reason: fit.reason,
          iterations: fit.iterations,
          residual: fit.residual,
          identifiability: fit.identifiability,
        }) + '\n',
      );
    } else {
      io.stdout.write(summary(fit.record, out) + '\n');
    }
    return fit.converged ? 0 : 1;
  } catch (e) {
    if (abort.signal.aborted) {
      io.stderr.write('\nclln calibrate: aborted; the board was put back as it was; nothing written\n');
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    await board.close();
  }
}

/** The default record name, in the current directory: calibration-MODEL-UID-YYYYMMDD-HHMMSS.json. */
export function defaultCalibrationPath(id: BoardIdentity, now = new Date()): string {
  return `calibration-${id.model}-${id.uid}-${fileStamp(now)}.json`;
}

const mV = (x: number): string => `${(x * 1000).toFixed(3)} mV`;

/** A human summary of a record. */
export function summary(r: CalibrationRecord, file: string): string {
  const f = r.fit;
  const nums = (a: (number | null)[]): number[] => a.filter((x): x is number => x !== null && Number.isFinite(x));
  const range = (a: number[], fmt: (x: number) => string): string => (a.length ? `${fmt(Math.min(...a))} .. ${fmt(Math.max(...a))}` : 'none');
  const pct = (x: number): string => `${((x - 1) * 100).toFixed(2)}%`;
  const lines = [
    `calibrated ${r.board.model} uid ${r.board.uid} (firmware ${r.board.firmware}): ${r.data?.measurements.length ?? '?'} measurements`,
    `  fit: ${f.converged ? 'converged' : 'NOT converged'} (${f.reason}) after ${f.iterations} iterations; residual rms ${mV(f.residual.rms)}, max ${mV(f.residual.max)}, chi2/dof ${f.residual.chi2PerDof.toFixed(2)} (reading sigma ${mV(f.readingSigma)})${f.excludedReadings ? `; ${f.excludedReadings} clipped readings left out` : ''}`,
    `  ADC gain ${range(nums(r.adc.gain), pct)}, offset ${range(nums(r.adc.offset), mV)}`,
    `  DAC drive gain ${range(nums(r.dac.drive.gain), pct)}, offset ${range(nums(r.dac.drive.offset), mV)}; clamp gain ${range(nums(r.dac.clamp.gain), pct)}, offset ${range(nums(r.dac.clamp.offset), mV)}`,
  ];
  if (r.edges.kind === 'tap') {
    const e = r.edges;
    lines.push(`  edges: tap 0 resistance ${range(e.rMax, (x) => `${x.toFixed(0)} ohm`)}, top tap ${range(e.rMin, (x) => `${x.toFixed(2)} ohm`)}; largest deviation from the ${e.taper ?? 'geometric'} law ${(Math.max(...e.lawDeviation) * 100).toFixed(3)}%`);
  } else {
    const e = r.edges;
    lines.push(`  edges: s ${range(e.s, (x) => x.toExponential(3))} S/V, V_T ${range(e.vt, (x) => `${x.toFixed(4)} V`)}`);
  }
  const id = r.identifiability;
  lines.push(`  identifiability: ${id.rank} of ${id.parameters} parameters determined; fixed by the reference: ${id.gauges.length ? id.gauges.join('; ') : 'nothing'}`);
  for (const u of id.undetermined) {
    lines.push(`    not determined (${u.why}): ${u.parameters.slice(0, 6).join(', ')}${u.parameters.length > 6 ? `, ... (${u.parameters.length})` : ''}`);
    lines.push(u.suggestions.length ? `      would be by: ${u.suggestions.join('; or ')}` : '      no pattern would: it needs an external reference');
  }
  lines.push(`  record written to ${file}`);
  return lines.join('\n');
}

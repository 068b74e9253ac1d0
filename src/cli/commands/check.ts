import { connectBoard } from '../../device/connectBoard.js';
import { InvalidInputError } from '../../errors.js';
import { checkCalibration, type CalibrationCheckReport } from '../../pipeline/checkCalibration.js';
import { readCalibration } from '../../pipeline/loadBoardCalibration.js';
import { int, parse, positionals, str } from '../args.js';
import { BOARD_FILE_HELP, BOARD_FILE_OPTION, boardFileOption, TWIN_HELP, TWIN_OPTIONS, twinConnectOptions } from '../boardOptions.js';
import type { Io } from '../Io.js';
import { ProgressBar } from '../progressBar.js';

export const checkHelp = `clln check --board twin[:MODEL]|pty[:MODEL]|serial:PATH --calibration FILE [options]
  Check the board against a calibration record: apply random source patterns at the board's present settings,
  predict every node's reading from the calibrated model (DAC -> Laplacian -> ADC) and compare with what the board
  reads; run the consistency check on each pattern (an alarm names the edge or channel that explains it); and
  estimate the drift since the calibration (each edge's conductance now / calibrated, each channel's mean residual).
  --calibration FILE     the calibration record (clln.calibration/1) to check against
  --patterns N           random patterns to apply (default 16)
  --seed S               seed of the patterns (default 1)
  --samples N            ADC samples per measurement (default: the calibration plan's)
  --all                  print every pattern's node table (default: the worst pattern's, and per-node summaries)
  --json                 print the whole report as one JSON object
${BOARD_FILE_HELP}
${TWIN_HELP}
  Exit code 0 when every pattern is consistent and nothing drifted significantly, 1 otherwise.`;

export async function check(argv: string[], io: Io): Promise<number> {
  const p = parse('check', argv, {
    board: { type: 'string' },
    calibration: { type: 'string' },
    patterns: { type: 'string' },
    seed: { type: 'string' },
    samples: { type: 'string' },
    all: { type: 'boolean' },
    json: { type: 'boolean' },
    ...BOARD_FILE_OPTION,
    ...TWIN_OPTIONS,
  });
  positionals(p, 'check', []);
  const spec = str(p, 'board');
  if (!spec) throw new InvalidInputError({ source: 'clln check' }, '--board is required', 'e.g. --board twin, --board pty or --board serial:/dev/ttyACM0');
  const calPath = str(p, 'calibration');
  if (!calPath) throw new InvalidInputError({ source: 'clln check' }, '--calibration is required', "pass the record written by 'clln calibrate --out FILE'");
  // checked against its own board description now, against the board's nominal law once the board has said it
  const cal = readCalibration(calPath);
  const boardFile = boardFileOption(p);
  const patterns = int(p, 'patterns', 1);
  const seed = int(p, 'seed', 0);
  const samples = int(p, 'samples', 1);
  if (samples !== undefined && samples > 1024) throw new InvalidInputError({ source: '--samples' }, `must be an integer in 1..1024, got ${samples}`);
  const json = p.values.json === true;
  const board = await connectBoard(spec, twinConnectOptions(p));
  try {
    const bar = !json && io.stderr.isTTY ? new ProgressBar(io.stderr, patterns ?? 16, 'check') : undefined;
    const report = await checkCalibration(board, cal, { patterns, seed, samples, boardFile, onProgress: (d) => bar?.update(d) });
    bar?.finish();
    for (const w of report.warnings) io.stderr.write(`clln check: warning: ${w}\n`);
    io.stdout.write((json ? JSON.stringify(report) : render(report, p.values.all === true)) + '\n');
    return report.summary.ok ? 0 : 1;
  } finally {
    await board.close();
  }
}

const mV = (x: number): string => (Number.isFinite(x) ? (x * 1000).toFixed(2) : '-');
const V = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '-');

function table(rows: CalibrationCheckReport['patterns'][number]['rows']): string[] {
  const out = ['  node  role    command V  predicted V  measured V  residual mV  sigma mV      z'];
  for (const r of rows) {
    out.push(
      `  ${String(r.node).padStart(4)}  ${r.role.padEnd(6)} ${(r.commanded === null ? '' : V(r.commanded)).padStart(10)}  ${V(r.predicted).padStart(11)}  ${V(r.measured).padStart(10)}  ${mV(r.residual).padStart(11)}  ${mV(r.sigma).padStart(8)}  ${(Number.isFinite(r.z) ? r.z.toFixed(1) : '-').padStart(5)}`,
    );
  }
  return out;
}

/** The text report. */
export function render(r: CalibrationCheckReport, all: boolean): string {
  const s = r.summary;
  const lines = [
    `checked ${r.board.model} uid ${r.board.uid} against calibration ${r.calibration.file ?? r.calibration.id} (made ${r.drift.ageHours.toFixed(1)} h ago): ${r.patterns.length} patterns`,
    `  residual rms ${mV(s.rmsResidual)} mV (one reading: ${mV(s.readingSigma)} mV), largest |z| ${s.maxAbsZ.toFixed(1)}; ${s.alarms} pattern(s) with an alarm`,
  ];
  r.patterns.forEach((pc, i) => {
    if (pc.alarm) lines.push(`  pattern ${i + 1}: ALARM: ${pc.suspect}`);
  });
  if (all) {
    r.patterns.forEach((pc, i) => {
      lines.push(`pattern ${i + 1}: drive ${pc.pattern.drive.map(([n, v]) => `${n}@${v}V`).join(' ')}${pc.pattern.clamp.length ? `; clamp ${pc.pattern.clamp.map(([n, v]) => `${n}@${v}V`).join(' ')}` : ''}`);
      lines.push(...table(pc.rows));
    });
  } else if (r.patterns.length > 0) {
    let worst = 0, wz = -1;
    r.patterns.forEach((pc, i) => {
      for (const row of pc.rows) if (Number.isFinite(row.z) && Math.abs(row.z) > wz) [wz, worst] = [Math.abs(row.z), i];
    });
    const pc = r.patterns[worst];
    lines.push(`worst pattern (${worst + 1}): drive ${pc.pattern.drive.map(([n, v]) => `${n}@${v}V`).join(' ')}${pc.pattern.clamp.length ? `; clamp ${pc.pattern.clamp.map(([n, v]) => `${n}@${v}V`).join(' ')}` : ''}`);
    lines.push(...table(pc.rows));
  }
  lines.push('per node over all patterns (drift of the channel shows as a mean residual):');
  lines.push('  node  mean residual mV  std error mV      z');
  for (const c of r.drift.channels) lines.push(`  ${String(c.node).padStart(4)}  ${mV(c.meanResidual).padStart(16)}  ${mV(c.stdError).padStart(12)}  ${c.z.toFixed(1).padStart(5)}`);
  if (r.drift.edges.length) {
    const f = r.drift.edges.map((e) => e.factor);
    lines.push(`edge conductance now / calibrated: ${Math.min(...f).toFixed(4)} .. ${Math.max(...f).toFixed(4)} (a common factor is not observable)`);
  }
  lines.push(r.drift.flagged.length ? `drift: ${r.drift.flagged.join('; ')}` : 'drift: nothing significant');
  lines.push(s.ok ? 'OK: the board agrees with its calibration' : 'NOT OK: see the alarms and drift above; recalibrate, or repair what is named');
  return lines.join('\n');
}

/**
 * `clln drift fit|predict`: the gen-2 small network's learning bias from recorded drift tests, and the two-task limit
 * cycles it predicts (issue 19, points 4 and 5). Physics: src/physics/gateDynamics (README there, section "clln drift").
 */
import { InvalidInputError, show } from '../../errors.js';
import { writeJsonFile } from '../../formats/jsonFile.js';
import { driftBowtieFigure, driftSweepFigure } from '../../diagnostics/figures/driftFigures.js';
import { driftExperiment, fitDriftRecordings, readDriftFit, type DriftFitDocument } from '../../pipeline/driftFit.js';
import { parseTauList, predictDriftCycles, readMeasuredSweeps, type DriftPredictionRow } from '../../pipeline/driftPredict.js';
import { int, parse, positionals, str } from '../args.js';
import { writeFigureFiles } from '../figureFiles.js';
import type { Io } from '../Io.js';

/** Default periods without --tau or --compare: 1 ms to 1 s, 4 per decade (s). */
const DEFAULT_TAUS = '0.001:1:13';
/** Default bowtie periods: those of the published bowtie files (s). */
const DEFAULT_BOWTIE_TAUS = '0.02,0.08';

export const driftHelp = `clln drift fit --experiment 1|2 ALPHA.csv BETA.csv [--json] [--out FIT.json]
clln drift predict FIT.json [--tau LIST|FROM:TO:COUNT] [--compare DIR] [--figures DIR] [--bowtie-tau LIST] [--json]
  The gen-2 small network (arXiv 2505.22887: gates G- and G+, held 0.4351 V and 0.0181 V) learning with a bias:
  dG_e/dt = kappa [(dV_e^F)^2 - (dV_e^C)^2] + b_e, kappa = r / (0.33 V R C).
  fit       from two single-task drift tests (CSV, header time_s,g_minus_V,g_plus_V; at least 10 rows), task alpha's
            and task beta's: b per gate (V/s) from the along-line drift speeds (r-independent), then r with b held
            from the first 40 samples of each run; standard errors, fit RMS. The formal s.e. of r assumes white
            residuals: on the published files r moves with the window (about 3 to 15; README)
  predict   the steady cycle of alpha, beta alternating every tau/2 at each period: D^2 = |G(tau/2) - G(0)|^2,
            MSE, each gate's span, and the cycle's diagnostics (converged, residual |P(G) - G| in V, Newton
            iterations, periods simulated)
  --experiment N   1 or 2: which task pair the recordings are (tasks of issue 19)
  --out FILE       write the fit as a clln.drift-fit/1 document (formatted JSON)
  --max-evaluations N
                   fit: the r fit's work budget in flow evaluations (default 3e7, tens of seconds); a fit that
                   stops on it exits 1 with its last iterate (converged false)
  --json           fit: the document on stdout, one line; predict: {format: "clln.drift-prediction/1", rows, figures}
  --tau T          periods (s): a comma list, or FROM:TO:COUNT log-spaced; default ${DEFAULT_TAUS}, or the measured
                   periods with --compare
  --compare DIR    measured sweeps in the published layout (calibration/labdata/heldout): measured-DG2-expN.csv and
                   measured-MSE-expN.csv (tau s, value V^2), bowtie-expN-TAUs.csv; prints predicted/measured per tau.
                   Read for comparison only, never fitted to
  --figures DIR    write DIR/d2-vs-tau.svg, DIR/mse-vs-tau.svg and DIR/bowties.svg
  --bowtie-tau T   the bowties' periods (s), comma list; default ${DEFAULT_BOWTIE_TAUS}
  --max-newton N   predict: Newton iterations on the period map per cycle (default 30), then ...
  --max-periods N  ... at most N plain periods (default 20000); a cycle still not converged makes the command
                   exit 1 after printing every row (the failed ones flagged)`;

export function drift(argv: string[], io: Io): number {
  const [sub, ...rest] = argv;
  if (sub === 'fit') return fit(rest, io);
  if (sub === 'predict') return predict(rest, io);
  throw new InvalidInputError({ source: 'clln drift' }, `expected the subcommand fit or predict, got ${show(sub ?? '(none)')}`, "see 'clln help drift'");
}

const f3 = (x: number): string => x.toFixed(3);
const e3 = (x: number): string => x.toExponential(3);

function fit(argv: string[], io: Io): number {
  const p = parse('drift fit', argv, { experiment: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, 'max-evaluations': { type: 'string' } });
  const [alpha, beta] = positionals(p, 'drift fit', ['ALPHA.csv', 'BETA.csv']);
  const experiment = driftExperiment(str(p, 'experiment'));
  const doc = fitDriftRecordings(experiment, alpha, beta, { maxEvaluations: int(p, 'max-evaluations', 1) });
  const out = str(p, 'out');
  if (out) writeJsonFile(out, doc);
  if (p.values.json === true) io.stdout.write(JSON.stringify(doc) + '\n');
  else io.stdout.write(fitSummary(doc, out));
  if (doc.converged) return 0;
  // a failure of the computation, not of the input: the document (converged false) is written all the same
  io.stderr.write(`clln drift fit: the r fit did not converge in ${doc.iterations} iterations (work budget or iteration limit); the values are its last iterate\n`);
  return 1;
}

function fitSummary(d: DriftFitDocument, out: string | undefined): string {
  const mv = (x: number): string => (x * 1000).toFixed(1);
  const lines = [
    `drift fit, experiment ${d.experiment} (gen-2 small network): ${d.files.alpha} (alpha, ${d.samples.alpha} samples), ${d.files.beta} (beta, ${d.samples.beta} samples)`,
    'edge  b (V/s)   s.e. (V/s)',
    ...d.edges.map((e, j) => `${e.padEnd(4)}  ${f3(d.bias[j]).padStart(7)}   ${f3(d.biasStderr[j])}`),
    `r = ${f3(d.r)} +- ${f3(d.rStderr)} (formal; the window changes it more, see 'clln help drift')`,
    `fit RMS ${mv(d.rms)} mV (alpha ${mv(d.rmsPerRun.alpha)}, beta ${mv(d.rmsPerRun.beta)}); ${d.iterations} iterations, ${d.converged ? 'converged' : 'NOT converged'}`,
    `solution lines' |sin angle| ${f3(d.sinAngle)}; rails (V) G- ${f3(d.rails[0][1])}, G+ ${f3(d.rails[1][1])}`,
  ];
  if (out) lines.push(`wrote ${out}`);
  return lines.join('\n') + '\n';
}

function predict(argv: string[], io: Io): number {
  const p = parse('drift predict', argv, {
    tau: { type: 'string' },
    compare: { type: 'string' },
    figures: { type: 'string' },
    'bowtie-tau': { type: 'string' },
    'max-newton': { type: 'string' },
    'max-periods': { type: 'string' },
    json: { type: 'boolean' },
  });
  const [fitPath] = positionals(p, 'drift predict', ['FIT.json']);
  const fitted = readDriftFit(fitPath);
  const bowtieTaus = parseTauList(str(p, 'bowtie-tau') ?? DEFAULT_BOWTIE_TAUS, '--bowtie-tau');
  const compareDir = str(p, 'compare');
  const measured = compareDir ? readMeasuredSweeps(compareDir, fitted.experiment, bowtieTaus) : undefined;
  const tauText = str(p, 'tau');
  const taus = tauText !== undefined ? parseTauList(tauText) : measured ? Array.from(measured.tau) : parseTauList(DEFAULT_TAUS);
  const rows = predictDriftCycles(fitted, taus, measured, { maxNewton: int(p, 'max-newton'), maxPeriods: int(p, 'max-periods') });
  const figDir = str(p, 'figures');
  let written: string[] = [];
  if (figDir) {
    const title = `experiment ${fitted.experiment}, r = ${f3(fitted.r)}, b = (${fitted.bias.map(f3).join(', ')}) V/s`;
    const points = rows.map((r) => ({ tau: r.tau, d2: r.cycle.d2, mse: r.cycle.mse, measured: r.measured }));
    const bowties = predictDriftCycles(fitted, bowtieTaus).map((r) => {
      const m = measured?.bowties.find((b) => b.tau === r.tau);
      return { tau: r.tau, path: r.cycle.bowtie, measured: m };
    });
    written = writeFigureFiles(
      figDir,
      [
        { name: 'd2-vs-tau', svg: driftSweepFigure('d2', points, title) },
        { name: 'mse-vs-tau', svg: driftSweepFigure('mse', points, title) },
        { name: 'bowties', svg: driftBowtieFigure(bowties, title) },
      ],
      false,
    );
  }
  if (p.values.json === true) {
    const json = rows.map((r) => ({
      tau: r.tau,
      d2: r.cycle.d2,
      mse: r.cycle.mse,
      spans: Array.from(r.cycle.spans),
      g0: Array.from(r.cycle.g0),
      converged: r.cycle.converged,
      residual: r.cycle.residual,
      newtonIterations: r.cycle.newtonIterations,
      periods: r.cycle.periods,
      step: r.cycle.step,
      ...(r.measured ? { measured: { ...r.measured, d2Ratio: r.cycle.d2 / r.measured.d2, mseRatio: r.cycle.mse / r.measured.mse } } : {}),
    }));
    io.stdout.write(JSON.stringify({ format: 'clln.drift-prediction/1', fit: fitPath, experiment: fitted.experiment, r: fitted.r, bias: fitted.bias, compare: compareDir ?? null, rows: json, figures: written }) + '\n');
  } else {
    io.stdout.write(predictTable(fitPath, fitted.r, rows, written));
  }
  const failed = rows.filter((x) => !x.cycle.converged).length;
  if (failed === 0) return 0;
  // a failure of the computation, not of the input: every row is still printed, the failed ones flagged
  io.stderr.write(`clln drift predict: ${failed} of ${rows.length} limit cycles did not converge (residual above 1e-10 V after the Newton and period limits); their values are the last iterate\n`);
  return 1;
}

function predictTable(fitPath: string, r: number, rows: DriftPredictionRow[], written: string[]): string {
  const cmp = rows.some((x) => x.measured);
  const head = ['tau (s)', 'D^2 (V^2)', 'MSE (V^2)', 'span G- (V)', 'span G+ (V)', 'converged', 'residual (V)', 'Newton', 'periods'];
  if (cmp) head.push('D^2 meas.', 'D^2 ratio', 'MSE meas.', 'MSE ratio');
  const body = rows.map((x) => {
    const c = x.cycle;
    const cells = [x.tau.toPrecision(4), e3(c.d2), e3(c.mse), f3(c.spans[0]), f3(c.spans[1]), c.converged ? 'yes' : 'NO', c.residual.toExponential(1), String(c.newtonIterations), String(c.periods)];
    if (cmp) cells.push(...(x.measured ? [e3(x.measured.d2), (c.d2 / x.measured.d2).toFixed(2), e3(x.measured.mse), (c.mse / x.measured.mse).toFixed(2)] : ['-', '-', '-', '-']));
    return cells;
  });
  const width = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]): string => cells.map((c, j) => c.padStart(width[j])).join('  ');
  const out = [`limit cycles from ${fitPath} (r = ${f3(r)}; task alpha over [0, tau/2), beta over [tau/2, tau))`, line(head), ...body.map(line)];
  const bad = rows.filter((x) => !x.cycle.converged).length;
  if (bad > 0) out.push(`${bad} cycle${bad === 1 ? '' : 's'} did not converge (residual above 1e-10 V): their values are the last iterate`);
  if (cmp) out.push('ratio = predicted / measured; the measured sweeps were not used by the fit');
  for (const w of written) out.push(`wrote ${w}`);
  return out.join('\n') + '\n';
}

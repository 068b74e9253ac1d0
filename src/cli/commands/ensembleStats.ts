import { InvalidInputError } from '../../errors.js';
import { formatNumber } from '../../diagnostics/figures/svgDocument.js';
import { DEFAULT_THRESHOLD, MAX_FAILED_SHOWN, type EnsembleStatistics, type QuantitySummary, type SpringDirectionStats } from '../../ensemble/stats/ensembleStatistics.js';
import { DEFAULT_RESAMPLES, DEFAULT_SEED, type MeanInterval } from '../../ensemble/stats/inference.js';
import { loadEnsembleDataset, type DatasetSource, type LoadedEnsemble } from '../../ensemble/stats/loadDataset.js';
import { statsFigures } from '../../ensemble/stats/statsFigures.js';
import { int, num, parse, positionals, str } from '../args.js';
import { writeFigureFiles } from '../figureFiles.js';
import type { Io } from '../Io.js';

export const ensembleStatsHelp = `clln ensemble stats DIR [--threshold X] [--svg OUT [--png]] [--json] [--resamples B] [--seed S]
  Statistics of an ensemble dataset (written by clln ensemble run):
  - the success rate: members whose final test MSE (train MSE for a member without a test set) is <= X V^2, with
    Wilson's 95 % interval (and the bootstrap's), over every member of the ensemble: a failed member (its
    computation threw, no results) counts as unsuccessful; the rate among the finished members is given beside it;
  - the failed members: how many, the first ${MAX_FAILED_SHOWN} (index and error) and the number of distinct errors;
  - every distribution below is over the finished members;
  - final train and test MSE (V^2), lowest non-zero and highest Laplacian eigenvalues (S), steps: mean with a 95 %
    bootstrap interval, median, quartiles (linear interpolation, numpy's default), extremes, histogram;
  - the stiff-mode/soft-mode alignment |cos| against its null model, a uniformly random direction in the d = E
    dimensional edge space (cos^2 ~ Beta(1/2, (d-1)/2)): mean excess over chance, members above the null's 95th
    percentile with a binomial p-value;
  - the boundary frequency f_e averaged over the members, edge by edge, with per-edge bootstrap intervals, drawn on
    the network when every member has the same one (a fixed-size lattice or board; random graphs differ: skipped).
  Every mean has a 95 % percentile-bootstrap interval: B resampled ensembles (members drawn with replacement, seeded).
  Units follow the network kind: for a spring ensemble the error is the strain task's (eps_T^F - Delta)^2 (strain^2,
  no test set) and the eigenvalues are the stiffness matrix's (energy/length^2).
  --threshold X  success threshold on the final test MSE, V^2 (strain^2 for springs; default: the spec's stop.targetMse, the MSE the members
                 were trained to reach; without one ${DEFAULT_THRESHOLD} V^2, an RMS error of 10 mV, 1 % of the task
                 generators' 1 V source span; springs: (Delta / 10)^2)
  --resamples B  bootstrap resamples, integer in [100, 1000000] (default ${DEFAULT_RESAMPLES}; per-edge f_e intervals may use
                 fewer on large ensembles, said in the output)
  --seed S       seed of the resampling (default ${DEFAULT_SEED})
  --svg OUT      write mse.svg, eigenvalues.svg, alignment.svg, boundary-frequency.svg (those the data allow), each
                 one journal column wide and naming the ensemble, its networks and task
  --png          with --svg: also write each figure as PNG (300 dpi)
  --json         one JSON object: members (finished), total, failed {count, first, distinct_errors}, threshold,
                 success (k, n = total, rate, wilson95, bootstrap95, denominator, finished), converged, steps, train_mse, test_mse, lambda_low,
                 lambda_high ({n, missing, non_finite, mean, ci95, median, q1, q3, min, max, unit, histogram}),
                 alignment, boundary_frequency (per-edge mean, ci95_lo, ci95_hi) or null with the reason, springs
                 (spring ensembles, per direction ab / ba: target_strain, projection, energy_target (E_B),
                 energy_after_source (E_AB - E_A), t_star; successful: {members, ab, ba}, the same over the members
                 whose error is <= the threshold; else null), bootstrap, figures`;

/** `clln ensemble stats` (argv after `stats`). `source` replaces E1's dataset reader in tests. */
export async function ensembleStats(argv: string[], io: Io, source?: DatasetSource): Promise<number> {
  const p = parse('ensemble stats', argv, {
    threshold: { type: 'string' },
    resamples: { type: 'string' },
    seed: { type: 'string' },
    svg: { type: 'string' },
    png: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [dir] = positionals(p, 'ensemble stats', ['DIR']);
  const threshold = num(p, 'threshold', (x) => x >= 0, 'must be a finite number >= 0 (V^2; strain^2 for a spring ensemble)');
  const resamples = int(p, 'resamples', 100);
  if (resamples !== undefined && resamples > 1_000_000) throw new InvalidInputError({ source: '--resamples' }, `must be at most 1000000, got ${resamples}`, 'use 10000 (the default) or a few times more');
  const seed = int(p, 'seed', 0);
  const svgDir = str(p, 'svg');
  const png = p.values.png === true;
  if (png && !svgDir) throw new InvalidInputError({ source: '--png' }, 'writes the figures as PNG beside their SVG files, so it needs a folder', 'add --svg OUT');
  const data = await loadEnsembleDataset(dir, source, { resamples, seed });
  if (data.members === 0 && data.failed === 0) throw new InvalidInputError({ source: dir }, 'the dataset holds no members', 'run clln ensemble run SPEC --out DIR first');
  if (data.members === 0) {
    const f = data.accumulator.finish().failed;
    throw new InvalidInputError({ source: dir }, `every one of its ${f.count} members failed (member ${f.first[0].index}: ${f.first[0].error})`, 'fix the cause and run the ensemble again (delete the failed members\' files to retry them)');
  }
  // the threshold: --threshold; else the spec's own target (stop.targetMse: what the ensemble was trained to reach);
  // else the built-in default (DEFAULT_THRESHOLD, its reason in ensembleStatistics.ts)
  const chosen = threshold ?? data.targetMse ?? undefined;
  const thresholdWhy = threshold !== undefined ? 'given with --threshold' : data.targetMse !== null ? "the spec's stop.targetMse, the MSE the members were trained to reach" : undefined;
  const st = data.accumulator.finish({ threshold: chosen, thresholdWhy, topologyDiffers: data.topologyDiffers, alignmentModes: data.alignmentModes, units: data.units, defaultThreshold: data.defaultThreshold });
  const written = svgDir ? writeFigureFiles(svgDir, statsFigures(st, data.names, data.topology), png) : [];
  io.stdout.write((p.values.json === true ? JSON.stringify(toJson(st, data, written)) : summary(st, data, written)) + '\n');
  return 0;
}

const g = (x: number): string => formatNumber(x, 4);
const ci = (m: MeanInterval): string => `[${g(m.ci[0])}, ${g(m.ci[1])}]`;
const pct = (x: number): string => `${formatNumber(100 * x, 3)} %`;

function quantityLine(q: QuantitySummary): string {
  const u = q.unit === 'dimensionless' || q.unit === 'count' ? '' : ` ${q.unit}`;
  const extra = [q.missing ? `${q.missing} missing` : '', q.nonFinite ? `${q.nonFinite} non-finite left out` : ''].filter(Boolean).join(', ');
  if (q.n === 0) return `  ${q.quantity}: no values${extra ? ` (${extra})` : ''}`;
  return `  ${q.quantity}${u ? ` (${u.trim()})` : ''}: mean ${g(q.mean.mean)} ${ci(q.mean)}, median ${g(q.median)}, quartiles ${g(q.q1)} ${g(q.q3)}, range ${g(q.min)}..${g(q.max)}, n ${q.n}${extra ? ` (${extra})` : ''}`;
}

/** The failed members, bounded: the count, the first few with their error, how many distinct errors. */
function failedLines(st: EnsembleStatistics): string[] {
  const f = st.failed;
  if (f.count === 0) return [];
  const distinct = `${f.distinctErrors}${f.distinctCapped ? '+' : ''} distinct error${f.distinctErrors === 1 ? '' : 's'}`;
  return [
    `failed: ${f.count} of ${st.total} members (their computation threw; no results; ${distinct})${f.count > f.first.length ? `, the first ${f.first.length}:` : ':'}`,
    ...f.first.map((x) => `  member ${x.index}: ${x.error}`),
  ];
}

function summary(st: EnsembleStatistics, data: LoadedEnsemble, written: string[]): string {
  const s = st.success;
  const lines = [
    `ensemble ${data.names.ensemble}: ${st.total} members${st.failed.count ? ` (${st.members} finished, ${st.failed.count} failed)` : ''} (${data.names.network}; ${data.names.task})`,
    ...failedLines(st),
    `success (${st.units.errorName === 'MSE' ? 'test MSE' : st.units.errorName} <= ${g(st.threshold.value)} ${st.threshold.unit}: ${st.threshold.why}): ${s.k}/${s.n} = ${pct(s.rate)}, Wilson 95 % ${pct(s.wilson[0])}..${pct(s.wilson[1])} (bootstrap ${pct(s.bootstrap[0])}..${pct(s.bootstrap[1])})${s.trainFallback && st.units.errorName === 'MSE' ? `; ${s.trainFallback} without a test set judged on the train MSE` : ''}`,
    st.failed.count
      ? `  over all ${s.n} members, the ${st.failed.count} failed counted as unsuccessful; among the ${s.finished.n} finished: ${s.finished.k}/${s.finished.n} = ${pct(s.finished.rate)}, Wilson 95 % ${pct(s.finished.wilson[0])}..${pct(s.finished.wilson[1])}`
      : `  over all ${s.n} members (none failed)`,
    `converged: ${st.converged.k}/${st.converged.n} = ${pct(st.converged.rate)}, Wilson 95 % ${pct(st.converged.wilson[0])}..${pct(st.converged.wilson[1])}${st.failed.count ? ' (failed members counted as not converged)' : ''}`,
    `distributions over the ${st.members} finished members (mean [95 % bootstrap CI]):`,
    ...[st.trainMse, st.testMse, st.lambdaLow, st.lambdaHigh, st.steps].map(quantityLine),
  ];
  const a = st.alignment;
  if (a) {
    const nul = (x: { mean: number; median: number | null; p95: number | null }): string => `mean ${g(x.mean)}${x.p95 !== null ? `, median ${g(x.median!)}, 95th percentile ${g(x.p95)}` : ''}`;
    const K = a.null.kModes.modes;
    lines.push(
      `alignment, ${K > 1 ? `largest |cos| of the stiffest cost mode against the ${K} softest physical modes'` : '|cos| of the stiffest cost mode against the softest physical mode\'s'} ${st.units.hessian === 'Laplacian' ? 'squared drops' : 'squared extensions'} (d = ${a.dimensions.length === 1 ? a.dimensions[0] : `${a.dimensions[0]}..${a.dimensions[a.dimensions.length - 1]}`} edges):`,
      quantityLine(a.summary),
      `  null, a random direction (cos^2 ~ Beta(1/2, (d-1)/2) per mode): one mode ${nul(a.null.oneMode)}${K > 1 ? `; max over ${K} independent modes (conservative) ${nul(a.null.kModes)}` : ''}`,
      `  excess over chance${K > 1 ? ` (over the ${K}-mode mean)` : ''}: ${g(a.excess.mean)} ${ci(a.excess)}; above the null's 95th percentile: ${a.aboveP95.k}/${a.aboveP95.n} = ${pct(a.aboveP95.rate)}, Wilson ${pct(a.aboveP95.wilson[0])}..${pct(a.aboveP95.wilson[1])} (at most 5 % by chance; binomial p = ${formatNumber(a.aboveP95.pValue, 3)})`,
    );
  } else lines.push('alignment: no member kept it');
  const b = st.boundary;
  if (b) {
    let top = 0;
    for (let e = 1; e < b.edges; e++) if (b.mean[e] > b.mean[top]) top = e;
    lines.push(
      `boundary frequency f_e: ${b.members} members x ${b.edges} edges; edge-averaged ${g(b.perMember.mean)} ${ci(b.perMember)}; highest mean on edge ${top}: ${g(b.mean[top])} [${g(b.lo[top])}, ${g(b.hi[top])}] (${b.resamples} resamples per edge)${data.topologyNote ? `; ${data.topologyNote}` : ''}`,
    );
  } else lines.push(`boundary frequency f_e: not averaged: ${st.boundarySkipped}`);
  if (st.springs) {
    for (const [name, d] of [['A -> B', st.springs.ab], ['B -> A', st.springs.ba]] as const) {
      if (!d) continue;
      lines.push(`spring measures, direction ${name} (issue 17 point 5):`, ...[d.targetStrain, d.projection, d.energyTarget, d.energyAfterSource, d.tStar].map(quantityLine));
    }
    const ok = st.springs.successful;
    for (const [name, d] of [['A -> B', ok.ab], ['B -> A', ok.ba]] as const) {
      if (!d) continue;
      lines.push(`spring measures over the ${ok.members} successful members (error <= ${g(st.threshold.value)} ${st.threshold.unit}), direction ${name}:`, ...[d.targetStrain, d.projection, d.energyTarget, d.energyAfterSource, d.tStar].map(quantityLine));
    }
    if (!ok.ab) lines.push(`spring measures over the successful members: none succeeded (error <= ${g(st.threshold.value)} ${st.threshold.unit})`);
  }
  lines.push(`bootstrap: percentile, ${st.bootstrap.resamples} resamples, seed ${st.bootstrap.seed}`);
  if (written.length) lines.push(`figures: ${written.join(', ')}`);
  else if (data.topologyNote && b) lines.push(`(f_e figure: ${data.topologyNote})`);
  return lines.join('\n');
}

/** ab (and ba when cooperative) of spring measures as JSON; a direction without members is left out. */
function springDirectionsJson(s: { ab: SpringDirectionStats | null; ba: SpringDirectionStats | null }): Record<string, unknown> {
  return Object.fromEntries(
    (['ab', 'ba'] as const).flatMap((k) => {
      const d = s[k];
      return d ? [[k, { target_strain: quantityJson(d.targetStrain), projection: quantityJson(d.projection), energy_target: quantityJson(d.energyTarget), energy_after_source: quantityJson(d.energyAfterSource), t_star: quantityJson(d.tStar) }]] : [];
    }),
  );
}

/** A number for JSON: non-finite as null (JSON has no NaN). */
const jn = (x: number): number | null => (Number.isFinite(x) ? x : null);

function quantityJson(q: QuantitySummary): unknown {
  return {
    quantity: q.quantity,
    unit: q.unit,
    n: q.n,
    missing: q.missing,
    non_finite: q.nonFinite,
    mean: jn(q.mean.mean),
    ci95: q.mean.ci.map(jn),
    median: jn(q.median),
    q1: jn(q.q1),
    q3: jn(q.q3),
    min: jn(q.min),
    max: jn(q.max),
    histogram: { scale: q.histogram.scale, edges: q.histogram.edges, counts: q.histogram.counts, rule: q.histogram.rule },
  };
}

function toJson(st: EnsembleStatistics, data: LoadedEnsemble, written: string[]): unknown {
  const a = st.alignment;
  const b = st.boundary;
  return {
    dataset: data.dir,
    ensemble: data.names.ensemble,
    members: st.members,
    total: st.total,
    failed: { count: st.failed.count, first: st.failed.first, distinct_errors: st.failed.distinctErrors, distinct_capped: st.failed.distinctCapped },
    threshold: { test_mse: st.threshold.value, unit: st.threshold.unit, why: st.threshold.why },
    success: {
      k: st.success.k,
      n: st.success.n,
      rate: jn(st.success.rate),
      wilson95: st.success.wilson.map(jn),
      bootstrap95: st.success.bootstrap.map(jn),
      train_fallback: st.success.trainFallback,
      denominator: st.success.denominator,
      finished: { k: st.success.finished.k, n: st.success.finished.n, rate: jn(st.success.finished.rate), wilson95: st.success.finished.wilson.map(jn) },
    },
    converged: { k: st.converged.k, n: st.converged.n, rate: jn(st.converged.rate), wilson95: st.converged.wilson.map(jn), bootstrap95: st.converged.bootstrap.map(jn) },
    steps: quantityJson(st.steps),
    train_mse: quantityJson(st.trainMse),
    test_mse: quantityJson(st.testMse),
    lambda_low: quantityJson(st.lambdaLow),
    lambda_high: quantityJson(st.lambdaHigh),
    alignment: a && {
      ...(quantityJson(a.summary) as object),
      dimensions: a.dimensions,
      null: { model: a.null.model, one_mode: a.null.oneMode, k_modes: a.null.kModes },
      excess: { mean: jn(a.excess.mean), ci95: a.excess.ci.map(jn) },
      above_null_p95: { k: a.aboveP95.k, n: a.aboveP95.n, rate: jn(a.aboveP95.rate), wilson95: a.aboveP95.wilson.map(jn), expected: a.aboveP95.expected, p_value: a.aboveP95.pValue },
    },
    boundary_frequency: b
      ? { members: b.members, edges: b.edges, unit: 'dimensionless', mean: Array.from(b.mean), ci95_lo: Array.from(b.lo), ci95_hi: Array.from(b.hi), resamples: b.resamples, edge_averaged: { mean: jn(b.perMember.mean), ci95: b.perMember.ci.map(jn) }, drawn: data.topology !== null, note: data.topologyNote }
      : null,
    boundary_frequency_skipped: st.boundarySkipped,
    springs: st.springs && {
      ...springDirectionsJson(st.springs),
      successful: { members: st.springs.successful.members, ...springDirectionsJson(st.springs.successful) },
    },
    bootstrap: st.bootstrap,
    figures: written,
  };
}

/**
 * `clln thermal NET TASK`: the harmonic thermal analysis of a strain task on a spring network (issue 17, point 4):
 * mean and standard deviations of the target strain with and without the input strain, the crossover T*, the figure.
 * The physics is src/physics/springs/thermal (README there: formulas, routes, where the harmonic approximation breaks).
 */
import { basename } from 'node:path';
import { InvalidInputError, show } from '../../errors.js';
import { readSpringsFile } from '../../formats/springsFile.js';
import { readStrainTaskFile } from '../../formats/strainTaskFile.js';
import { symmetricEigen } from '../../diagnostics/symmetricEigen.js';
import { thermalFigure } from '../../diagnostics/figures/thermalFigure.js';
import { degreesOfFreedom, springCount } from '../../physics/springs/SpringNetwork.js';
import {
  crossoverOnGrid,
  DENSE_MAX_DOF,
  defaultTemperatures,
  logTemperatureGrid,
  strainStatisticsAt,
  type ThermalAnalysis,
  thermalAnalysis,
  type ThermalDirection,
  type ThermalRoute,
} from '../../physics/springs/thermal/harmonicThermal.js';
import { type NamedFigure, writeFigureFiles } from '../figureFiles.js';
import { num, parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';

/** Default grid: DECADES decades either side of T*, PER_DECADE points per decade (6 x 5 + 1 = 31 temperatures). */
const DECADES = 3;
const PER_DECADE = 5;

/**
 * Largest source strain at which the harmonic T* was measured to hold (src/physics/springs/thermal/README.md, "Where the
 * harmonic approximation breaks"): at s = 0.1 the mean with input is off by 0.7-2.9 % as T -> 0 and by ~5 % at T*;
 * larger strains were not measured to hold, and at s = 1 T* lies where the test patch snaps through.
 */
const MEASURED_STRAIN = 0.1;

export const thermalHelp = `clln thermal NET TASK [--temps T1,T2,..] [--source-strain S] [--source-spring K] [--route auto|dense|sparse] [--json] [--svg DIR [--png]]
  The harmonic thermal analysis of a strain task (clln.strain-task/1) on a spring network (clln.springs/1), k_B = 1,
  mass 1, temperatures in the energy unit: for each direction (one; two when the task is cooperative) the mean
  <eps_T> and standard deviation of the target strain with the source strain imposed and without it (equipartition
  over the normal modes, rigid modes excluded), and the crossover T* where |<eps_T>| = sigma_with + sigma_without,
  in closed form (T* = <eps_T>^2 / (sqrt(v_with) + sqrt(v_without))^2; it scales as the source strain squared).
  Floppy modes that reach the target make its variance infinite (reported "infinite (floppy)", T* = 0).
  --temps T1,T2,..    temperatures (> 0); default ${2 * DECADES * PER_DECADE + 1}, log-spaced from 1e-${DECADES} T* to 1e${DECADES} T* (${PER_DECADE} per
                      decade), or 1e-4..1 / v_without when T* is 0
  --source-strain S   the imposed source strain (dimensionless, not 0); default the task's. The harmonic T* was
                      measured to hold up to S = ${MEASURED_STRAIN}; a warning says so above it
  --source-spring K   impose the source strain by a spring of stiffness K (energy / length^2) instead of exactly
  --route R           auto (default): dense normal modes up to ${DENSE_MAX_DOF} degrees of freedom, the sparse Cholesky above;
                      dense also reports the eigenvalue range, at O((dN)^3) cost; sparse works on 10^4+ dof
  --json              one JSON object: {network, task, sourceStrain, route, modes, directions, warnings, figures,
                      infinite}; infinite values are written null and their paths listed in "infinite"
  --svg DIR           write the strain-vs-temperature figure of each direction, with T* marked, as
                      DIR/thermal-A-B-to-C-D.svg
  --png               with --svg: also write each figure as PNG (300 dpi)`;

export function thermal(argv: string[], io: Io): number {
  const p = parse('thermal', argv, {
    temps: { type: 'string' },
    'source-strain': { type: 'string' },
    'source-spring': { type: 'string' },
    route: { type: 'string' },
    json: { type: 'boolean' },
    svg: { type: 'string' },
    png: { type: 'boolean' },
  });
  const [netPath, taskPath] = positionals(p, 'thermal', ['NET', 'TASK']);
  const temps = parseTemperatures(str(p, 'temps'));
  const sourceStrain = num(p, 'source-strain', (x) => x !== 0, 'must be a finite number other than 0 (dimensionless strain)');
  const sourceSpring = num(p, 'source-spring', (x) => x > 0, 'must be a finite number > 0 (energy / length^2)');
  const route = (str(p, 'route') ?? 'auto') as ThermalRoute;
  if (!['auto', 'dense', 'sparse'].includes(route)) throw new InvalidInputError({ source: '--route' }, `must be auto, dense or sparse, got ${show(route)}`);
  const svgDir = str(p, 'svg');
  if (p.values.png === true && !svgDir) throw new InvalidInputError({ source: '--png' }, 'writes the figures as PNG beside their SVG files, so it needs a folder', 'add --svg DIR');
  const net = readSpringsFile(netPath);
  const task = readStrainTaskFile(taskPath, net, netPath);
  if (sourceStrain !== undefined) task.sourceStrain = sourceStrain;

  const r = thermalAnalysis(net, task, { eigen: symmetricEigen, route, temperatures: temps, sourceSpring });
  let gridNote: string;
  if (temps) gridNote = `${temps.length} temperature${temps.length === 1 ? '' : 's'} given`;
  else {
    r.directions = r.directions.map(regrid);
    gridNote = `default: ${2 * DECADES * PER_DECADE + 1} temperatures, log-spaced 1e-${DECADES} T* .. 1e${DECADES} T* (${PER_DECADE} per decade; 1e-4..1 / v_without where T* is 0)`;
  }
  const warnings: string[] = [];
  const s = task.sourceStrain;
  if (Math.abs(s) > MEASURED_STRAIN) {
    warnings.push(
      `source strain ${s} is beyond ${MEASURED_STRAIN}, the largest at which the harmonic approximation was measured to hold ` +
        `(src/physics/springs/thermal/README.md, Langevin on a 30-node patch: at s = 0.1 the mean with input is off by 0.7-2.9 % as T -> 0 and by ~5 % at T*; ` +
        `at s = 1 T* lies where the patch's flaps snap through). T* scales as s^2: quote it with a physical source strain (--source-strain)`,
    );
  }
  const context = { network: net.name, task: basename(taskPath) };
  const figures: NamedFigure[] = svgDir
    ? r.directions.map((d) => ({ name: `thermal-${d.source.join('-')}-to-${d.target.join('-')}`, svg: thermalFigure(d, { context: { ...context, task: `${context.task}: [${d.source.join(', ')}] -> [${d.target.join(', ')}]` } }) }))
    : [];
  const written = svgDir ? writeFigureFiles(svgDir, figures, p.values.png === true) : [];
  if (p.values.json === true) {
    const infinite: string[] = [];
    const doc = finite(
      { network: net.name, nodes: net.nodes, springs: springCount(net), dof: degreesOfFreedom(net), task: taskPath, sourceStrain: s, sourceSpring: sourceSpring ?? null, temperatures: gridNote, route: r.route, modes: r.modes, directions: r.directions, warnings, figures: written },
      '',
      infinite,
    );
    io.stdout.write(JSON.stringify({ ...(doc as object), infinite }) + '\n');
  } else {
    io.stdout.write(summary(netPath, taskPath, r, s, sourceSpring, gridNote, warnings, written));
  }
  return 0;
}

/** A direction on the default grid: 1e-3 T* .. 1e3 T* when T* is finite and positive, else the library default. */
function regrid(d: ThermalDirection): ThermalDirection {
  const t = d.crossover > 0 && Number.isFinite(d.crossover) ? logTemperatureGrid(d.crossover / 10 ** DECADES, d.crossover * 10 ** DECADES, PER_DECADE) : defaultTemperatures(d);
  const grid = t.map((x) => strainStatisticsAt(d, x));
  return { ...d, grid, gridCrossing: crossoverOnGrid(grid) };
}

/** `--temps T1,T2,..`: finite temperatures > 0. */
function parseTemperatures(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',');
  const t = parts.map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (parts.length === 0 || !t.every((x) => Number.isFinite(x) && x > 0)) {
    throw new InvalidInputError({ source: '--temps' }, `expected temperatures > 0 separated by commas (energy unit, k_B = 1), got ${show(v)}`, 'e.g. --temps 1e-6,1e-5,1e-4');
  }
  if (t.length > 10_000) throw new InvalidInputError({ source: '--temps' }, `at most 10000 temperatures, got ${t.length}`);
  return t;
}

/** A copy with typed arrays as arrays and every non-finite number as null, its path recorded in `infinite` (Infinity) . */
function finite(x: unknown, path: string, infinite: string[]): unknown {
  if (typeof x === 'number') {
    if (Number.isFinite(x)) return x;
    if (x === Infinity || x === -Infinity) infinite.push(path);
    return null;
  }
  if (ArrayBuffer.isView(x)) return finite(Array.from(x as unknown as ArrayLike<number>), path, infinite);
  if (Array.isArray(x)) return x.map((v, i) => finite(v, `${path}[${i}]`, infinite));
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) o[k] = finite(v, path ? `${path}.${k}` : k, infinite);
    return o;
  }
  return x;
}

/** A number for the text report: 4 significant digits; infinite ones say why. */
function fmt(x: number): string {
  if (x === Infinity) return 'infinite (floppy)';
  if (Number.isNaN(x)) return 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-3 || a >= 1e5 ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

function summary(netPath: string, taskPath: string, r: ThermalAnalysis, s: number, spring: number | undefined, gridNote: string, warnings: string[], written: string[]): string {
  const m = r.modes;
  const lines: string[] = [];
  lines.push(`thermal: ${r.network} (${netPath}), task ${taskPath}; source strain ${s}${spring !== undefined ? `, imposed by a spring K = ${spring}` : ', imposed exactly'}; k_B = 1, mass 1`);
  lines.push(`route: ${r.route.reason}`);
  const eig = m.route === 'dense-modes' ? `; eigenvalues ${fmt(m.smallestNonzeroEigenvalue)} .. ${fmt(m.largestEigenvalue)} (energy / length^2), solver ${m.converged ? 'converged' : 'NOT converged'}` : `; solve residual ${fmt(m.residual ?? NaN)}, null-space residual ${fmt(m.nullResidual ?? NaN)}`;
  lines.push(`modes: ${m.dof} dof, ${m.zeroModes} zero (${m.rigidModes} rigid, ${m.floppyModes} floppy)${eig}`);
  for (const w of warnings) lines.push(`warning: ${w}`);
  for (const d of r.directions) {
    lines.push('');
    lines.push(`[${d.source.join(', ')}] -> [${d.target.join(', ')}]`);
    lines.push(`  mean target strain with input   ${fmt(d.response)} (slope ${fmt(d.slope)} per unit source strain); without input 0`);
    lines.push(`  sigma with input                ${sigma(d.varianceWith)}`);
    lines.push(`  sigma without input             ${sigma(d.varianceWithout)}`);
    lines.push(`  T*                              ${crossover(d, s)}`);
  }
  lines.push('');
  lines.push(`temperatures: ${gridNote}`);
  for (const d of r.directions) {
    lines.push(`[${d.source.join(', ')}] -> [${d.target.join(', ')}]: T, mean with, sigma with, sigma without, resolved (|mean| > both sigmas)`);
    for (const g of d.grid) lines.push(`  ${fmt(g.temperature).padEnd(10)} ${fmt(g.meanWith).padEnd(11)} ${fmt(g.sigmaWith).padEnd(11)} ${fmt(g.sigmaWithout).padEnd(11)} ${g.resolved ? 'yes' : 'no'}`);
    if (d.gridCrossing) lines.push(`  on this grid the response drowns between T = ${fmt(d.gridCrossing.below)} and ${fmt(d.gridCrossing.above)} (interpolated ${fmt(d.gridCrossing.temperature)})`);
  }
  if (written.length) lines.push(`figures: ${written.join(', ')}`);
  return lines.join('\n') + '\n';
}

function sigma(v: number): string {
  return Number.isFinite(v) ? `${fmt(Math.sqrt(v))} sqrt(T)   (variance ${fmt(v)} T)` : 'infinite (floppy)';
}

function crossover(d: ThermalDirection, s: number): string {
  if (d.crossoverReason === 'floppy') {
    const which = !Number.isFinite(d.varianceWithout) && !Number.isFinite(d.varianceWith) ? 'both sigmas are' : !Number.isFinite(d.varianceWithout) ? 'sigma without input is' : 'sigma with input is';
    return `0: ${which} infinite (floppy): floppy modes reach the target${d.floppy.determinedBySource ? '' : ' and the source does not fix them'}, so no temperature keeps the response above the noise`;
  }
  if (d.crossoverReason === 'no-response') return '0: no response (the target strain does not follow the source strain at all, to rounding)';
  if (d.crossover === Infinity) return 'infinite: the target strain does not fluctuate (both sigmas 0)';
  return `${fmt(d.crossover)} (closed form; T* / s^2 = ${fmt(d.crossover / (s * s))})`;
}

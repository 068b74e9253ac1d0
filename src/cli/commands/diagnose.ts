import { basename } from 'node:path';
import { InvalidInputError, show } from '../../errors.js';
import { readNetworkFile } from '../../formats/networkFile.js';
import { readJsonFile } from '../../formats/jsonFile.js';
import { parseSprings, SPRINGS_FORMAT } from '../../formats/springsFile.js';
import { readStrainTaskFile } from '../../formats/strainTaskFile.js';
import { diagnoseSprings, type SpringDiagnosisReport } from '../../diagnostics/diagnoseSprings.js';
import { springFigures } from '../../diagnostics/figures/springFigures.js';
import { springCriticalRates, type SpringCriticalRates } from '../../diagnostics/springCost.js';
import { StrainSolver } from '../../physics/springs/StrainSolver.js';
import { nonlinearHessian } from '../../diagnostics/nonlinearDiagnostics.js';
import { isNonlinear } from '../../physics/nonlinear/learningParameters.js';
import { readTaskFile } from '../../formats/taskFile.js';
import type { Network } from '../../physics/Network.js';
import type { Task } from '../../physics/Task.js';
import { DEFAULT_ALPHA, defaultBeta, diagnoseNetwork, LINEARISED_AT, type DiagnosisReport } from '../../diagnostics/diagnoseNetwork.js';
import type { SpectrumEvolution } from '../../diagnostics/spectrumEvolution.js';
import { networkFigure, spectraFigure, trajectoryFigure, type SpectrumPanel } from '../../diagnostics/figures/index.js';
import type { FigureContext } from '../../diagnostics/figures/svgDocument.js';
import { type NamedFigure, writeFigureFiles } from '../figureFiles.js';
import { boardLearningStep } from '../../pipeline/boardLearningStep.js';
import { listBoardModels, shippedNominals } from '../../pipeline/boardModels.js';
import { diagnoseRun, readTrainingRun } from '../../pipeline/diagnoseRun.js';
import { diagnoseSpringRun, type SpringRunDiagnosis } from '../../pipeline/simulatedRunDiagnosis.js';
import type { SpringNetwork } from '../../physics/springs/SpringNetwork.js';
import type { StrainTask } from '../../physics/springs/StrainTask.js';
import { recordedTaskName } from '../../pipeline/runReport.js';
import type { LearningStep, StabilityVerdict, StepOrigin } from '../../diagnostics/stepStability.js';
import { PLAN_DEFAULTS } from '../../pipeline/TrainingPlan.js';
import { int, num, parse, str } from '../args.js';
import type { Io } from '../Io.js';

export const diagnoseHelp = `clln diagnose [NETWORK [TASK]] [--run RUN] [options]
  What the network learned, from its physical Hessian (the Laplacian H = D^T diag(k) D):
  - the spectrum of H (restricted to the free nodes when a task is given): all eigenpairs of small networks, the
    lowest and highest K of large ones (Lanczos, shift-invert through the sparse Cholesky);
  - the maximally localised basis of the softest modes, the regions it splits the network into, the boundary edges
    between them and how often each edge is a boundary (f_e), with the number of modes N_m chosen by the largest
    eigengap;
  - with a task: the cost Hessian (Gauss-Newton and full), how its stiff modes align with the squared edge drops of
    the soft physical modes and the power relating their eigenvalues, the fidelity of the CL/EP/CEP gradients to
    the exact one, and the stability of the learning step the network learns by (alpha * lambda_max > 2 is
    unstable; the tap rule has no learning rate, so for it the index does not apply and the report says why);
  - with --run: the eigenvalue trajectories over the run (conductances from the recorded settings).
  A network with nonlinear elements needs a TASK (or --run): its physical Hessian is the Kirchhoff Jacobian at the
  free state of the first training example (the Laplacian of the differential conductances there); the cost parts
  are in its learning parameters theta (k in S, V_G in V; the report gives the units): the cost Hessian (full by
  differences of the exact adjoint gradient), the fidelity of CL/EP/CEP to the exact adjoint gradient; coupling only
  when every parameter is a conductance, stability only without transistors (the report says why otherwise).
  --run RUN           a training run record (clln train, simulated or --board): analyse its final conductances and
                      its trajectory (a simulated run: its snapshots, and its final conductances replayed exactly
                      from the last one); NETWORK and TASK default to the run's
  --modes K           eigenpairs at each end, and the most soft modes localised (default 10)
  --eta X --beta X    rule parameters for fidelity (default: the run's eta, else 0.1; beta 0.01 x the median
                      conductance, S)
  Which step the stability index is for (the report names it, with where it came from):
  - with --run: the rule and step the run took, from its record: a tap board's tap rule, a gate board's coupled
    learning at alpha = 2 eta amp s (the run's eta and amp, s from its calibration or the board model);
    --eta X and --amp X replace the run's values;
  - --board MODEL: NETWORK is the shipped board MODEL's, learning by its own rule (tap, or gate with --eta, --amp;
    defaults of clln train --board: 0.1, 0.5);
  - --rule cl|ep|cep|tap [--alpha X]: that rule (alpha in S/V^2, default 0.5 as clln train); --alpha alone: CL;
    these replace the run's or the board's step;
  - otherwise: the tap rule for a network with a tap table (a board of digital potentiometers), else CL at clln
    train's defaults (alpha 0.5 S/V^2).
  Spring networks (NETWORK a clln.springs/1 file, TASK a clln.strain-task/1 file; detected by the file's format):
  the spectrum of the stiffness matrix with its rigid and floppy modes excluded exactly (counted in the report;
  eigenvalues in energy/length^2), the localised soft modes over the node positions (d displacement components per
  node share its position), their regions and boundary springs, and with a TASK the cost Hessian of
  C = sum 1/2 (eps_T^F - Delta)^2 (length^4/energy^2), its coupling to the squared extensions of the soft modes, and
  the fidelity of coupled learning to the exact gradient at eta, eta/10, eta/100 (--eta, default the task's, else
  0.1). Figures add response.svg (the free-state displacements as arrows, springs coloured by stiffness) and draw
  soft-mode.svg as arrows. With a TASK also the learning rates above which the task's error grows at these
  stiffnesses (linearised: cl at eta -> 0, alpha_c = 2 / lambda_max(kappa_d' J_d . J_d'), kappa the target's stiffness
  with the source held, J = d eps_T^F / dk; the gradient rule's 2 / lambda_max(J_d . J_d')): what to give clln train's
  --alpha (JSON: rates). --board, --rule, --alpha, --beta and --amp are for resistor networks.
  --run SPRING-RUN (a clln.spring-steps/1 record of 'clln train NET.springs.json TASK.strain.json --record F'): the
  same diagnosis of the run's network at its final stiffnesses (the last snapshot, and the steps after it replayed
  and checked against their digests) on the run's strain task, fidelity at the run's eta unless --eta; a first line
  names the run's rule, eta, alpha, steps and cost. It carries its network and task (no NETWORK or TASK with it); no
  eigenvalue trajectories for spring runs.
  --json              one JSON object with every result; cost.stability[0] holds the verdict: rule, applies,
                      alpha, lambdaMax, index, unstable, or reason when it does not apply, the step and its origin
  --svg DIR           write figures: spectrum.svg, soft-mode.svg (edges coloured by the softest mode's squared
                      drops), stiff-cost-mode.svg, regions.svg (regions and boundaries), boundary-frequency.svg,
                      trajectories.svg (with --run); each names the network, task and run it shows
  --png               with --svg: also write each figure as PNG (300 dpi), for slides and notebooks`;

const RULES = ['cl', 'ep', 'cep', 'tap'] as const;

export function diagnose(argv: string[], io: Io): number {
  const p = parse('diagnose', argv, {
    run: { type: 'string' },
    modes: { type: 'string' },
    eta: { type: 'string' },
    beta: { type: 'string' },
    alpha: { type: 'string' },
    amp: { type: 'string' },
    rule: { type: 'string' },
    board: { type: 'string' },
    json: { type: 'boolean' },
    svg: { type: 'string' },
    png: { type: 'boolean' },
  });
  const runPath = str(p, 'run');
  if (p.positionals.length > 2) throw new InvalidInputError({ source: 'clln diagnose' }, `expected [NETWORK [TASK]], got ${p.positionals.length} arguments`, 'usage: clln diagnose NETWORK [TASK] [--run RUN]');
  if (p.positionals.length === 0 && !runPath) throw new InvalidInputError({ source: 'clln diagnose' }, 'needs a NETWORK file or --run RUN', 'usage: clln diagnose NETWORK [TASK] [--run RUN]');
  const eta = num(p, 'eta', (x) => x > 0 && x <= 1, 'must be a number in (0, 1]');
  const beta = num(p, 'beta', (x) => x > 0, 'must be a positive number (S)');
  const alpha = num(p, 'alpha', (x) => x > 0, 'must be a positive number (S/V^2)');
  const amp = num(p, 'amp', (x) => x > 0, 'must be a positive number (V/V^2)');
  const rule = str(p, 'rule');
  if (rule !== undefined && !(RULES as readonly string[]).includes(rule)) throw new InvalidInputError({ source: '--rule' }, `must be one of ${RULES.join(', ')}, got ${show(rule)}`);
  if (rule === 'tap' && alpha !== undefined) throw new InvalidInputError({ source: '--alpha' }, 'the tap rule has no learning rate', 'drop --alpha, or give another --rule');
  const boardModel = str(p, 'board');
  if (boardModel !== undefined && runPath) throw new InvalidInputError({ source: '--board' }, 'the run names its own board', 'drop --board, or diagnose a network file');
  if (amp !== undefined && !runPath && boardModel === undefined) throw new InvalidInputError({ source: '--amp' }, "is a gate board's update gain; it needs --board MODEL or --run RUN", 'add --board MODEL');
  const springOptions = () => ({ modes: int(p, 'modes', 2) ?? 10, eta, json: p.values.json === true, svg: str(p, 'svg'), png: p.values.png === true });
  const resistorOnlyGiven = (what: string, options: readonly ('run' | 'beta' | 'alpha' | 'amp' | 'rule' | 'board')[]): void => {
    const given = options.filter((o) => p.values[o] !== undefined);
    if (given.length > 0) {
      throw new InvalidInputError({ source: `--${given[0]}` }, `is an option for resistor networks; ${what}`, `drop ${given.map((o) => `--${o}`).join(', ')}`);
    }
  };
  // a run record is read once; a spring run (clln.spring-steps/1) carries its spring network and strain task
  const runRecord = runPath ? readTrainingRun(runPath) : undefined;
  if (runRecord?.springs) {
    resistorOnlyGiven('RUN is a spring-network run (clln.spring-steps/1)', ['beta', 'alpha', 'amp', 'rule', 'board']);
    if (p.positionals.length > 0) {
      throw new InvalidInputError({ source: 'clln diagnose' }, `${runPath} is a spring-network run, which carries its network and strain task; NETWORK and TASK are not taken with it`, `drop ${p.positionals.join(' ')}, or diagnose a network file without --run`);
    }
    const d = diagnoseSpringRun(runRecord.record);
    return diagnoseSpringsCommand(d.network, d.task, { task: `strain task (${d.task.source.join(', ')}) -> (${d.task.target.join(', ')})`, run: basename(runPath!) }, { ...springOptions(), eta: eta ?? d.eta }, io, d);
  }
  const springs = p.positionals[0] !== undefined ? springsDocument(p.positionals[0]) : undefined;
  if (springs !== undefined) {
    resistorOnlyGiven('NETWORK is a spring network (clln.springs/1)', ['run', 'beta', 'alpha', 'amp', 'rule', 'board']);
    const net = parseSprings(springs, p.positionals[0]!);
    const taskPath = p.positionals[1];
    const task = taskPath !== undefined ? readStrainTaskFile(taskPath, net, p.positionals[0]!) : undefined;
    return diagnoseSpringsCommand(net, task, { task: taskPath !== undefined ? basename(taskPath) : undefined }, springOptions(), io);
  }
  let net: Network | undefined;
  let task: Task | undefined;
  // (an empty argument is a file name too: reading it says it does not exist)
  if (p.positionals[0] !== undefined) net = readNetworkFile(p.positionals[0], { nonlinear: true, command: 'clln diagnose' });
  if (p.positionals[1] !== undefined) task = readTaskFile(p.positionals[1], net!);
  let evolution: SpectrumEvolution | undefined;
  let runEta: number | undefined;
  let learning: { step: LearningStep; origin: StepOrigin } | undefined;
  let linearisedAt: string | undefined;
  const modes = int(p, 'modes', 2) ?? 10;
  if (runPath) {
    const d = diagnoseRun(runRecord!.record, { network: net, networkSource: p.positionals[0], task, eta, amp, modes: Math.min(5, modes) });
    net = d.network;
    task = d.task;
    runEta = d.eta;
    learning = d.learning;
    evolution = d.evolution;
    linearisedAt = d.linearisedAt;
  } else if (net && isNonlinear(net)) {
    // a nonlinear network's physical Hessian is its Jacobian at a state: linearise at the task's first example
    const ref = task?.train[0] ?? task?.test[0];
    if (!ref) {
      throw new InvalidInputError({ source: p.positionals[0] }, "has nonlinear elements, whose physical Hessian depends on the state, and no task example gives one", 'add a TASK with at least one example: its first example\'s free state is the reference');
    }
    linearisedAt = LINEARISED_AT;
  }
  if (linearisedAt !== undefined && boardModel !== undefined) {
    throw new InvalidInputError({ source: '--board' }, 'the shipped boards are linear networks; this one has nonlinear elements', 'drop --board, or give the board\'s network');
  }
  if (boardModel !== undefined) learning = boardStep(boardModel, net!, p.positionals[0], eta, amp);
  if (rule !== undefined || alpha !== undefined) {
    const r = (rule ?? 'cl') as (typeof RULES)[number];
    const e = eta ?? runEta ?? PLAN_DEFAULTS.eta;
    const a = alpha ?? DEFAULT_ALPHA;
    const given = [rule !== undefined ? `--rule ${r}` : '', alpha !== undefined ? `--alpha ${a}` : `alpha ${a} (clln train's default)`].filter(Boolean).join(', ');
    const step: LearningStep =
      r === 'tap' ? { rule: 'tap', eta: e, ...(net!.taps ? { taps: net!.taps.length } : {}) } : r === 'cl' ? { rule: 'cl', eta: e, alpha: a } : { rule: r, beta: beta ?? defaultBeta(betaNetwork(net!, task)), alpha: a };
    learning = { step, origin: { from: 'options', detail: r === 'tap' ? 'given: --rule tap' : `given: ${given}` } };
  }
  // (a nonlinear network goes in as it is: diagnoseNetwork linearises it for the physical parts, and takes the cost
  // parts in its learning parameters)
  const report = diagnoseNetwork(net!, task, { modes, eta: eta ?? runEta, beta, learning });
  const svgDir = str(p, 'svg');
  if (p.values.png === true && !svgDir) throw new InvalidInputError({ source: '--png' }, 'writes the figures as PNG beside their SVG files, so it needs a folder', 'add --svg DIR');
  const context: FigureContext = { network: net!.name, task: task ? (p.positionals[1] !== undefined ? basename(p.positionals[1]) : runPath ? (recordedTaskName(runPath) ?? "the run's task") : undefined) : undefined, run: runPath ? basename(runPath) : undefined };
  const written = svgDir ? writeFigures(svgDir, net!, task, report, evolution, context, p.values.png === true) : [];
  if (p.values.json === true) io.stdout.write(JSON.stringify(toJson(report, evolution, written)) + '\n');
  else io.stdout.write(summary(net!, task, report, evolution, written) + '\n');
  return 0;
}

/** The parsed JSON of PATH when it is a spring-network file (format clln.springs/1), else undefined (read as before). */
function springsDocument(path: string): unknown {
  let json: unknown;
  try {
    json = readJsonFile(path, 'network file');
  } catch {
    return undefined; // (the resistor reader reports it in its own words)
  }
  return typeof json === 'object' && json !== null && (json as { format?: unknown }).format === SPRINGS_FORMAT ? json : undefined;
}

/**
 * `clln diagnose NET.springs.json [TASK.strain.json]` and `clln diagnose --run SPRING-RUN`: the spring network's
 * diagnosis (diagnoseSprings) as text, JSON and figures. eta: the fidelity's largest clamping strength (then eta/10,
 * eta/100; default the run's, else the task's, else 0.1). `run`: what the run did, when the network is a run's.
 */
function diagnoseSpringsCommand(
  net: SpringNetwork,
  task: (StrainTask & { eta?: number }) | undefined,
  names: { task?: string; run?: string },
  o: { modes: number; eta?: number; json: boolean; svg?: string; png: boolean },
  io: Io,
  run?: SpringRunDiagnosis,
): number {
  if (o.png && !o.svg) throw new InvalidInputError({ source: '--png' }, 'writes the figures as PNG beside their SVG files, so it needs a folder', 'add --svg DIR');
  const eta = o.eta ?? task?.eta ?? 0.1;
  const r = diagnoseSprings(net, task, { modes: o.modes, etas: [eta, eta / 10, eta / 100] });
  // the learning rates the task's error dynamics tolerate at these stiffnesses (what --alpha of clln train to pick)
  const rates: SpringCriticalRates | undefined = task && r.cost ? springCriticalRates(new StrainSolver(net), task) : undefined;
  const context: FigureContext = { network: net.name, task: names.task, run: names.run };
  const written = o.svg ? writeFigureFiles(o.svg, springFigures(net, r, context), o.png) : [];
  const runInfo = run && {
    file: names.run,
    rule: run.rule,
    eta: run.eta,
    alpha: run.alpha,
    steps: run.stepsDone,
    replayed: run.replayed,
    first_cost: run.firstCost,
    last_cost: run.lastCost,
  };
  const ratesJson = rates && { kappa: rates.kappa, jacobian_norm_sq: rates.jacobianNormSq, cl_critical_alpha: rates.cl, gradient_critical_alpha: rates.gradient };
  if (o.json) io.stdout.write(JSON.stringify({ ...(springsJson(r, written) as object), rates: ratesJson ?? null, run: runInfo ?? null }) + '\n');
  else {
    const head = run
      ? [
          `spring run ${names.run}: rule ${run.rule}, eta ${run.eta}, alpha ${run.alpha}, ${run.stepsDone} step${run.stepsDone === 1 ? '' : 's'}; cost ${run.firstCost === null ? '-' : e3(run.firstCost)} before the first update, ${run.lastCost === null ? '-' : e3(run.lastCost)} before the last; ` +
            `diagnosed at the stiffnesses after step ${run.stepsDone - 1} (${run.replayed === 0 ? 'its snapshot' : `replayed ${run.replayed} step${run.replayed === 1 ? '' : 's'} from the last snapshot`}); no eigenvalue trajectories for spring runs`,
        ]
      : [];
    const rateLine = rates
      ? [
          `learning rate (clln train --alpha): the error grows above alpha = 2 / lambda_max(kappa J.J) = ${e3(rates.cl)} energy/length^4 for cl (eta -> 0), ${e3(rates.gradient)} energy^2/length^4 for --rule gradient ` +
            `(kappa ${rates.kappa.map(e3).join(', ')} energy, |d eps_T/dk|^2 ${rates.jacobianNormSq.map(e3).join(', ')} length^4/energy^2, at these stiffnesses); 0.03-0.06 of it converged within 300 steps on three measured networks (up to 0.9 on two) when Delta was near eps_T^F (src/physics/springs/README.md, "Choosing alpha")`,
        ]
      : [];
    io.stdout.write([...head, springsSummary(r, written, rateLine)].join('\n') + '\n');
  }
  return 0;
}

/** The text report; `extra` lines go after the cost parts, before what was skipped and the figures. */
function springsSummary(r: SpringDiagnosisReport, written: string[], extra: string[] = []): string {
  const u = r.units;
  const ph = r.physical;
  const z = ph.zeroModes;
  const t = r.task;
  const lines = [
    `spring network ${r.network.name}: ${r.network.nodes} nodes, ${r.network.springs} springs, ${r.network.dim}D (${r.network.dofs} degrees of freedom)${t ? `; strain task: source (${t.source[0]}, ${t.source[1]}) strained by ${t.sourceStrain}, target (${t.target[0]}, ${t.target[1]}) to ${t.delta}${t.cooperative ? ', cooperative' : ''}${t.lambda ? `, lambda ${t.lambda}` : ''}` : ''}`,
    `zero modes (excluded exactly): ${z.count} = ${z.rigid} rigid-body + ${z.floppy} floppy; solver analysis ${r.analysis.analysisMs.toFixed(0)} ms, null-space residual ${e3(r.analysis.nullResidual)}`,
    `physical Hessian (${ph.description}): ${ph.lowest.method}, residual ${e3(Math.max(ph.lowest.residual, ph.highest.residual))}${ph.lowest.converged && ph.highest.converged ? '' : ' NOT CONVERGED'}`,
    `  lowest  (${u.eigenvalue}): ${list(ph.lowest.values)}`,
    `  highest (${u.eigenvalue}): ${list(Array.from(ph.highest.values).reverse())}`,
    `  condition number (nonzero spectrum) ${e3(ph.highest.values[ph.highest.values.length - 1] / ph.lowest.values[0])}`,
  ];
  if (r.localisation) {
    const l = r.localisation;
    const f = l.frequency;
    const top = Array.from(f.f, (v, e) => [e, v] as const).sort((a, b) => b[1] - a[1]).slice(0, 5).filter(([, v]) => v > 0);
    lines.push(
      `localised soft modes (spread over node positions, d components per node; length^2): N_m = ${f.chosenModes} (${f.rule}); spread ${e3(l.basis.initialSpread)} -> ${e3(l.basis.totalSpread)} in ${l.basis.sweeps} sweeps; regions of ${Array.from(l.regions.sizes).join(', ')} nodes`,
      `  boundary springs at N_m = ${f.chosenModes}: ${l.regions.boundaryEdges.length}; most frequent f_e (N_m ${f.minModes}..${f.maxModes}): ${top.map(([e, v]) => `${e}: ${v.toFixed(2)}`).join(', ') || 'none'}`,
    );
  }
  if (r.cost) {
    const c = r.cost;
    const cp = c.coupling;
    lines.push(
      `cost over ${c.directions} direction${c.directions === 1 ? '' : 's'}: target strain eps_T^F ${c.targetStrains.map(e3).join(', ')}; C = ${e3(c.value)} (${u.cost}), |dC/dk| = ${e3(c.gradientNorm)} ${u.gradient}`,
      ...(c.full.length > 0 ? [`cost Hessian largest eigenvalues (${u.hessian}): full ${list(c.full)}; Gauss-Newton J^T J ${list(c.gaussNewton)} (solve residual ${e3(c.maxSolveResidual)})`] : []),
      ...(cp
        ? [
            `coupling: stiffest cost mode vs squared extensions of the soft modes: best cosine ${cp.best.cosine.toFixed(3)} (cost mode ${cp.best.stiffMode + 1}, physical mode ${cp.best.softMode + 1}); random displacement fields: mean ${cp.random.mean.toFixed(3)}, 95th percentile ${cp.random.p95.toFixed(3)}`,
            `  cost eigenvalues ~ (1/physical eigenvalues)^p: p = ${cp.power.exponent.toFixed(2)} (R^2 ${cp.power.r2.toFixed(3)}, ${cp.power.pairs} pairs)`,
          ]
        : []),
      `gradient fidelity of coupled learning (angle to the exact dC/dk; |g_CL|/|dC/dk| in ${u.clNormRatio}, which tends to the target's stiffness as eta -> 0 for one direction): ${c.fidelity.map((f) => `eta ${f.parameter}: ${f.angleDeg.toFixed(3)} deg, ${e3(f.normRatio)}`).join('; ')}`,
    );
  }
  lines.push(...extra);
  for (const s of r.skipped) lines.push(`skipped ${s}`);
  if (written.length) lines.push(`figures: ${written.join(', ')}`);
  return lines.join('\n');
}

/** Numbers for JSON: NaN and infinities become null. */
function finiteOrNull(a: ArrayLike<number>): (number | null)[] {
  return Array.from(a, (x) => (Number.isFinite(x) ? x : null));
}

/** The localised soft modes, their boundary frequency and regions, as `--json` writes them (both network kinds). */
function localisationJson(loc: NonNullable<DiagnosisReport['localisation']>): unknown {
  return {
    chosen_modes: loc.frequency.chosenModes,
    rule: loc.frequency.rule,
    boundary_frequency: finiteOrNull(loc.frequency.f),
    per_modes: loc.frequency.perModes,
    region: Array.from(loc.regions.region),
    boundary_edges: Array.from(loc.regions.boundaryEdges),
    spread: finiteOrNull(loc.basis.spread),
    total_spread: loc.basis.totalSpread,
    converged: loc.basis.converged,
    sweeps: loc.basis.sweeps,
  };
}

function springsJson(r: SpringDiagnosisReport, written: string[]): unknown {
  const arr = finiteOrNull;
  const big = r.network.nodes > 5000;
  const spectrum = (s: SpringDiagnosisReport['physical']['lowest']) => ({
    values: arr(s.values),
    ...(big ? {} : { vectors: s.vectors.map(arr) }),
    method: s.method,
    residual: s.residual,
    converged: s.converged,
    iterations: s.iterations,
  });
  const { zeroModes, description } = r.physical;
  return {
    kind: 'spring',
    network: r.network,
    units: r.units,
    task: r.task ?? null,
    zero_modes: { count: zeroModes.count, rigid: zeroModes.rigid, floppy: zeroModes.floppy, treatment: zeroModes.treatment },
    analysis: r.analysis,
    physical: { description, lowest: spectrum(r.physical.lowest), highest: spectrum(r.physical.highest) },
    localisation: r.localisation && localisationJson(r.localisation),
    response: big ? null : r.response.map(arr),
    cost: r.cost && {
      directions: r.cost.directions,
      target_strains: r.cost.targetStrains,
      value: r.cost.value,
      gradient_norm: r.cost.gradientNorm,
      hessian_full: arr(r.cost.full),
      hessian_gauss_newton: arr(r.cost.gaussNewton),
      max_solve_residual: r.cost.maxSolveResidual,
      coupling: r.cost.coupling && {
        alignment: arr(r.cost.coupling.alignment),
        stiff: r.cost.coupling.stiff.values.length,
        soft: r.cost.coupling.soft.values.length,
        best: r.cost.coupling.best,
        random: r.cost.coupling.random,
        power: r.cost.coupling.power,
      },
      fidelity: r.cost.fidelity.map((f) => ({ ...f, perDirection: f.perExample, perExample: undefined })),
    },
    timing_ms: r.timing,
    skipped: r.skipped,
    figures: written,
  };
}

/**
 * The network whose median conductance sets the default beta: a nonlinear network's linearisation at the reference
 * state (its `conductance` entries on transistors and diodes are not conductances it has), as diagnoseNetwork does.
 */
function betaNetwork(net: Network, task: Task | undefined): Network {
  const ref = task?.train[0] ?? task?.test[0];
  return isNonlinear(net) && task && ref ? nonlinearHessian(net, task, ref.in).linearised : net;
}

/** The step of a shipped board model's own rule, for NETWORK given as that board's (--board MODEL). */
function boardStep(model: string, net: Network, netPath: string | undefined, eta: number | undefined, amp: number | undefined): { step: LearningStep; origin: StepOrigin } {
  const m = shippedNominals(model);
  if (!m) throw new InvalidInputError({ source: '--board' }, `${show(model)} is not a shipped board model (${listBoardModels().join(', ')})`, 'give a shipped model, or --run RUN for another board');
  if (net.nodes !== m.nodes || net.edgeA.length !== m.edges.length) {
    throw new InvalidInputError({ source: netPath, field: 'edges' }, `has ${net.nodes} nodes and ${net.edgeA.length} edges, board ${model} ${m.nodes} and ${m.edges.length}`, `give the board's network ('clln network board ${model}')`);
  }
  const e = eta ?? PLAN_DEFAULTS.eta;
  const a = amp ?? PLAN_DEFAULTS.amp;
  const edge = m.edge.kind === 'tap' ? { kind: 'tap' as const, taps: m.edge.taps } : { kind: 'gate' as const, lo: m.edge.lo, hi: m.edge.hi };
  const step = boardLearningStep(edge, { eta: e, amp: a, nominal: m.edge })!;
  return { step, origin: { from: 'options', detail: `given: --board ${model} (${m.edge.kind} edges), eta ${e}${m.edge.kind === 'gate' ? `, amp ${a}` : ''}` } };
}

const e3 = (x: number): string => (Number.isFinite(x) ? x.toExponential(3) : String(x));
const list = (a: ArrayLike<number>, n = 5): string => Array.from(a).slice(0, n).map(e3).join(', ');

function summary(net: Network, task: Task | undefined, r: DiagnosisReport, ev: SpectrumEvolution | undefined, written: string[]): string {
  const ph = r.physical;
  const lowVals = ph.restricted ? ph.lowest.values : ph.lowest.values.slice(1);
  const lines = [
    `network ${net.name}: ${net.nodes} nodes, ${net.edgeA.length} edges${task ? `; task: ${task.sources.length} sources, ${task.ground.length} ground, ${task.targets.length} targets, ${task.train.length} training examples` : ''}`,
    `physical Hessian ${ph.restricted ? `(free nodes: ${ph.lowest.nodes.length})` : '(full Laplacian; its zero mode left out)'}: ${ph.lowest.method}, residual ${e3(Math.max(ph.lowest.residual, ph.highest.residual))}${ph.lowest.converged && ph.highest.converged ? '' : ' NOT CONVERGED'}`,
    `  lowest  (S): ${list(lowVals)}`,
    `  highest (S): ${list(Array.from(ph.highest.values).reverse())}`,
    `  condition number ${e3(ph.highest.values[ph.highest.values.length - 1] / lowVals[0])}`,
  ];
  if (r.localisation) {
    const l = r.localisation;
    const f = l.frequency;
    const top = Array.from(f.f, (v, e) => [e, v] as const).sort((a, b) => b[1] - a[1]).slice(0, 5).filter(([, v]) => v > 0);
    lines.push(
      `localised soft modes: N_m = ${f.chosenModes} (${f.rule}); spread ${e3(l.basis.initialSpread)} -> ${e3(l.basis.totalSpread)} in ${l.basis.sweeps} sweeps; regions of ${Array.from(l.regions.sizes).join(', ')} nodes`,
      `  boundary edges at N_m = ${f.chosenModes}: ${Array.from(l.regions.boundaryEdges).map((e) => `${e} (${net.edgeA[e]}-${net.edgeB[e]})`).join(', ') || 'none'}`,
      `  most frequent boundary edges f_e (N_m ${f.minModes}..${f.maxModes}): ${top.map(([e, v]) => `${e}: ${v.toFixed(2)}`).join(', ') || 'none'}`,
    );
  }
  if (r.nonlinear) {
    const n = r.nonlinear;
    lines.push(
      `nonlinear network: physical Hessian linearised at ${n.linearisedAt} (Jacobian asymmetry ${e3(n.asymmetry)}); learning parameters: ${n.parameters.conductance} conductances k (S), ${n.parameters.gate} gate voltages V_G (V), ${n.parameters.none} edges without one`,
    );
  }
  if (r.cost) {
    const c = r.cost;
    const u = r.nonlinear?.units;
    const cp = c.coupling;
    lines.push(
      u
        ? `cost over ${c.examples} training examples: C = ${e3(c.value)} V^2, |dC/dtheta| = ${e3(c.gradientNorm)} (${u.gradient}); theta: ${u.theta}`
        : `cost over ${c.examples} training examples: C = ${e3(c.value)} V^2, |dC/dk| = ${e3(c.gradientNorm)} V^2/S`,
      `cost Hessian largest eigenvalues (${u ? u.hessian : 'V^2/S^2'}): full ${list(c.full)}; Gauss-Newton ${list(c.gaussNewton)}`,
      ...(cp
        ? [
            `coupling: stiffest cost mode vs squared drops of the soft physical modes: best cosine ${cp.best.cosine.toFixed(3)} (cost mode ${cp.best.stiffMode + 1}, physical mode ${cp.best.softMode + 1}); random node vectors: mean ${cp.random.mean.toFixed(3)}, 95th percentile ${cp.random.p95.toFixed(3)}`,
            `  cost eigenvalues ~ (1/physical eigenvalues)^p: p = ${cp.power.exponent.toFixed(2)} (R^2 ${cp.power.r2.toFixed(3)}, ${cp.power.pairs} pairs)`,
          ]
        : []),
      `gradient fidelity (angle to the exact gradient, norm ratio): ${c.fidelity.map((f) => `${f.rule.toUpperCase()} ${f.rule === 'cl' ? 'eta' : 'beta'} ${f.parameter}: ${f.angleDeg.toFixed(2)} deg, ${e3(f.normRatio)}`).join('; ')}`,
      ...c.stability.map(stabilityLine),
    );
  }
  if (ev) {
    const pct = (x: number | null): string => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`);
    lines.push(`over the run (${ev.steps.length} snapshots, steps ${ev.steps[0]}..${ev.steps[ev.steps.length - 1]}): lowest eigenvalue ${pct(ev.change.lowest)}, highest ${pct(ev.change.highest)}${ev.change.costLargest !== null ? `, largest cost-Hessian eigenvalue ${pct(ev.change.costLargest)}` : ''}`);
  }
  for (const s of r.skipped) lines.push(`skipped ${s}`);
  if (written.length) lines.push(`figures: ${written.join(', ')}`);
  return lines.join('\n');
}

/** One verdict as a line: the rule and step used, where they came from, and the index or why it does not apply. */
function stabilityLine(s: StabilityVerdict): string {
  const st = s.step;
  const what =
    st.rule === 'tap'
      ? `tap rule (one tap per step by the sign of the contrast${st.taps ? `, ${st.taps} taps` : ''})`
      : st.rule === 'cl' && st.gate
        ? `CL on gate edges, alpha = 2 eta amp s = 2 x ${st.eta} x ${st.gate.amp} x ${e3(st.gate.s)} S/V (s from the ${st.gate.sFrom}) = ${e3(st.alpha)} S/V^2`
        : `${st.rule.toUpperCase()}, alpha ${e3(st.alpha)} S/V^2`;
  const head = `learning stability: ${what} [${s.origin.detail}]`;
  if (!s.applies) return `${head}: not applicable: ${s.reason}`;
  return `${head}: alpha * lambda_max = ${s.index.toFixed(3)} ${s.unstable ? 'UNSTABLE (> 2)' : '(stable)'}`;
}

function writeFigures(dir: string, net: Network, task: Task | undefined, r: DiagnosisReport, ev: SpectrumEvolution | undefined, context: FigureContext, png: boolean): string[] {
  const figures: NamedFigure[] = [];
  const put = (name: string, svg: string): void => void figures.push({ name: name.replace(/\.svg$/, ''), svg });
  const roles = task ? { sources: task.sources, ground: task.ground, targets: task.targets } : undefined;
  const ph = r.physical;
  const lowVals = ph.restricted ? ph.lowest.values : ph.lowest.values.slice(1);
  // one panel per unit: the Laplacian's eigenvalues are conductances (S), the cost Hessian's V^2/S^2 (a nonlinear
  // network's: in its learning parameters theta, whose unit the report names)
  const panels: SpectrumPanel[] = [
    {
      title: `(a) physical Hessian (Laplacian${ph.restricted ? ', free nodes' : ''}): lowest`,
      series: [{ label: '', values: lowVals }],
      xLabel: 'mode index, softest first (count)',
      yLabel: 'eigenvalue (S)',
    },
  ];
  const notes: string[] = [];
  if (r.cost) {
    // a nonlinear network's cost Hessian is in its learning parameters theta: V^2/S^2 for conductances k,
    // dimensionless for gate voltages V_G, mixed when it has both (the full statement goes to the note)
    const hu = r.nonlinear ? r.nonlinear.units.hessian : 'V^2/S^2';
    const unit = hu.startsWith('mixed') ? 'mixed units' : hu.startsWith('V^2/V^2') ? 'dimensionless' : hu;
    if (r.nonlinear) notes.push(`(b) in the learning parameters theta: ${r.nonlinear.units.theta}; cost-Hessian units ${hu}`);
    panels.push({ title: `(b) cost Hessian${r.nonlinear ? ' in theta' : ''}: largest`, series: [{ label: '', values: r.cost.full }], xLabel: 'mode index, stiffest first (count)', yLabel: `eigenvalue (${unit})` });
  }
  put('spectrum.svg', spectraFigure(panels, { title: 'Eigenvalue spectra', context, notes }));
  const soft = ph.lowest.vectors[ph.restricted ? 0 : 1];
  if (soft) {
    const drops = Float64Array.from(net.edgeA, (a, e) => (soft[net.edgeB[e]] - soft[a]) ** 2);
    put(
      'soft-mode.svg',
      networkFigure(r.positions, net.edgeA, net.edgeB, {
        title: 'Softest physical mode',
        context,
        edgeValues: drops,
        edgeLabel: 'squared edge drop (dimensionless)',
        nodeValues: soft,
        nodeScale: 'diverging',
        nodeLabel: 'mode amplitude (dimensionless)',
        explanation: 'The softest eigenvector of the physical Hessian (a full Laplacian\'s constant vector left out), normalised to length 1: its value at each node, and the square of its difference across each edge.',
        nodeRoles: roles,
      }),
    );
  }
  if (r.cost?.coupling) {
    const v = r.cost.coupling.stiff.vectors[0];
    if (v) {
      put(
        'stiff-cost-mode.svg',
        networkFigure(r.positions, net.edgeA, net.edgeB, { title: 'Stiffest cost-Hessian mode', context, edgeValues: v, edgeScale: 'diverging', edgeLabel: 'mode component (dimensionless)', explanation: 'The eigenvector of the cost Hessian with the largest eigenvalue, normalised to length 1: its component on each edge conductance.', nodeRoles: roles }),
      );
    }
  }
  if (r.localisation) {
    const l = r.localisation;
    const f = l.frequency;
    let most = 0;
    for (let m = f.minModes; m <= f.maxModes; m++) most += 1 / Math.sqrt(m);
    put(
      'regions.svg',
      networkFigure(r.positions, net.edgeA, net.edgeB, {
        title: `Regions of the ${f.chosenModes} localised soft modes`,
        context,
        nodeRegions: l.regions.region,
        highlightEdges: l.regions.boundaryEdges,
        highlightLabel: 'region boundary',
        nodeRoles: roles,
        explanation: 'Each node belongs to the localised soft mode with the largest weight there; a region boundary is an edge whose ends lie in different regions.',
      }),
    );
    put(
      'boundary-frequency.svg',
      networkFigure(r.positions, net.edgeA, net.edgeB, {
        title: 'Boundary-edge frequency f_e',
        context,
        edgeValues: f.f,
        edgeLabel: 'boundary frequency f_e (dimensionless)',
        nodeRoles: roles,
        explanation: `f_e = sum over N_m = ${f.minModes}..${f.maxModes} of n_e(N_m) / sqrt(N_m), where n_e(N_m) = 1 when edge e is a region boundary of the lowest N_m soft modes, localised, and 0 otherwise; at most ${most.toFixed(2)} (a boundary for every N_m).`,
      }),
    );
  }
  if (ev) {
    const k = ev.lowest[0].length;
    const s = [
      ...Array.from({ length: k }, (_, j) => ({ label: `lowest ${j + 1}`, values: ev.lowest.map((v) => v[j]) })),
      ...Array.from({ length: ev.highest[0].length }, (_, j) => ({ label: `highest ${ev.highest[0].length - j}`, values: ev.highest.map((v) => v[j]) })),
    ];
    put('trajectories.svg', trajectoryFigure(ev.steps, s, { title: 'Physical Hessian eigenvalues during training', context, xLabel: 'training step (count)', yLabel: 'eigenvalue (S)' }));
  }
  return writeFigureFiles(dir, figures, png);
}

function toJson(r: DiagnosisReport, ev: SpectrumEvolution | undefined, written: string[]): unknown {
  const arr = finiteOrNull;
  const big = r.network.nodes > 5000;
  const spectrum = (s: DiagnosisReport['physical']['lowest']) => ({
    values: arr(s.values),
    ...(big ? {} : { vectors: s.vectors.map(arr) }),
    method: s.method,
    residual: s.residual,
    converged: s.converged,
    iterations: s.iterations,
  });
  return {
    network: r.network,
    layout: r.layout,
    physical: { restricted: r.physical.restricted, free_nodes: Array.from(r.physical.lowest.nodes), lowest: spectrum(r.physical.lowest), highest: spectrum(r.physical.highest) },
    localisation: r.localisation && localisationJson(r.localisation),
    cost: r.cost && {
      examples: r.cost.examples,
      value: r.cost.value,
      gradient_norm: r.cost.gradientNorm,
      hessian_full: arr(r.cost.full),
      hessian_gauss_newton: arr(r.cost.gaussNewton),
      coupling: r.cost.coupling && {
        alignment: arr(r.cost.coupling.alignment),
        stiff: r.cost.coupling.stiff.values.length,
        soft: r.cost.coupling.soft.values.length,
        best: r.cost.coupling.best,
        random: r.cost.coupling.random,
        power: r.cost.coupling.power,
      },
      fidelity: r.cost.fidelity.map(({ perExample: _p, ...f }) => f),
      stability: r.cost.stability,
    },
    evolution: ev && { steps: ev.steps, lowest: ev.lowest.map(arr), highest: ev.highest.map(arr), cost_largest: ev.costLargest, change: ev.change },
    skipped: r.skipped,
    figures: written,
    // (only for a nonlinear network: a linear network's report keeps its shape)
    ...(r.nonlinear
      ? {
          nonlinear: {
            linearised_at: r.nonlinear.linearisedAt,
            physical_hessian: `the Kirchhoff Jacobian's co-content part (the Laplacian of the differential conductances), linearised at ${r.nonlinear.linearisedAt}`,
            asymmetry: r.nonlinear.asymmetry,
            parameters: r.nonlinear.parameters,
            units: { theta: r.nonlinear.units.theta, gradient: r.nonlinear.units.gradient, hessian: r.nonlinear.units.hessian, cost: 'V^2' },
          },
        }
      : {}),
  };
}

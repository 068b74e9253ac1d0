import { networkOfDocument, readNetworkFile } from '../../formats/networkFile.js';
import { readTaskFile } from '../../formats/taskFile.js';
import { InvalidInputError, show } from '../../errors.js';
import { geometricTaps } from '../../physics/rules/TapRule.js';
import { isNonlinear } from '../../physics/nonlinear/learningParameters.js';
import type { TrainOptions } from '../../physics/Trainer.js';
import { int, num, parse, positionals, str, type Parsed } from '../args.js';
import type { StopConditions } from '../../pipeline/TrainingPlan.js';
import { SIMULATED_CLI, SPRING_CLI, type TrainRequest } from './trainSimulated.js';
import { readJsonFile } from '../../formats/jsonFile.js';
import { parseSprings, SPRINGS_FORMAT } from '../../formats/springsFile.js';
import { readStrainTaskFile, STRAIN_TASK_FORMAT } from '../../formats/strainTaskFile.js';
import type { SpringTrainOptions } from '../../physics/springs/SpringTrainer.js';
import type { Io } from '../Io.js';
import { BOARD_FILE_HELP, BOARD_FILE_OPTION, boardFileOption, RANGE_HELP, TWIN_HELP, TWIN_OPTIONS, twinConnectOptions } from '../boardOptions.js';

export const trainHelp = `clln train NETWORK TASK [options]
  Train a simulated network on a task with a local learning rule (one update per training example).
  A spring network (clln.springs/1) trains on a strain task (clln.strain-task/1): see 'Spring networks' below.
  A network with nonlinear "elements" learns with cl, ep or cep on each edge's parameter: the conductance of linear
  edges and resistors, the gate voltage V_G of transistors; diodes and tables have none and stay as they are. Its
  states come from the Newton solver; in --json and the record, "conductance" then lists these parameters (S or V).
  --rule cl|ep|cep|tap|gradient   coupled learning, equilibrium propagation, centered EP, discrete tap rule
                         (default cl); gradient: exact gradient descent theta <- theta - alpha dC/dtheta by an adjoint
                         solve, a simulation-only reference (no physical network computes it; any network size)
                         that tells whether the network can learn the task at all when a local rule does not
  --eta X                clamping strength of cl/tap, in (0, 1] (default 0.1)
  --beta X               nudge conductance of ep/cep in siemens (default 0.01)
  --alpha X              learning rate in S/V^2 (default 0.5); gradient: as EP's beta -> 0 limit, S^2/V^2 for
                         conductances, 1/V for gate voltages
  --steps N              number of updates (default 1000)
  --order sequential|shuffle   example order; sequential uses example (step mod count) (default shuffle)
  --seed S               seed of the shuffled order (default 0)
  --taps COUNT           tap rule: geometric tap table of COUNT taps spanning the network's bounds
  --gate-bounds LO,HI    nonlinear networks: range of the transistors' gate voltages in volts (default 0,5)
  --method auto|cholesky|cg   linear solver (default auto)
  --save-network OUT     write the trained network (clln.network/1)
  --json                 print one JSON object {steps, conductance, train_mse, test_mse, evaluations: [{step, train_mse,
                         test_mse}]}
  --eval-every N         compute train and test MSE every N steps, recorded and in --json (default 0: only before and after)
  --record FILE          run record (JSON lines, layout clln.sim-steps/1; default a new file in runs/): per step the
                         example, cost, edges changed and a digest of the conductances; every conductance every
                         --snapshot-every steps and at the last step. A killed run continues with 'clln resume FILE'
                         and gives the same numbers bit for bit; each evaluation is an event of the stream 'evaluation'
  --snapshot-every N     steps between full conductance snapshots (default 100, or ceil(edges / 50) when larger:
                         at most about 1 kB of snapshot per step)
  --no-record            do not record the run
  Ctrl-C stops after the current step (final MSE as usual); a second Ctrl-C aborts (exit 1).
 On a board (coupled learning; NETWORK must be the board's topology: 'clln network board MODEL'):
  --board twin[:MODEL]|pty[:MODEL]|serial:PATH   in-process twin, twin on a pseudo-terminal, or hardware
  --update host|device   compute the contrast update on the host from measured voltages, or let the board step (default host)
  --amp X                gate boards: gate volts per squared-volt difference, in (0, 100] (default 0.5)
  --samples N            ADC samples averaged per measurement, 1..1024 (default 16)
${RANGE_HELP}
${BOARD_FILE_HELP}
${TWIN_HELP}
  --record FILE          run record (JSON lines, one event per step and one per evaluation; default a new file in
                         runs/); a killed run continues with 'clln resume FILE'
  --no-record            do not record the run
  --calibration FILE     a calibration of this board (clln.calibration/1, from 'clln calibrate'): sources and clamps
                         are corrected for the DAC channels, readings for the ADC channels, the checks use the
                         calibrated edges, MSEs are in calibrated volts; the run record keeps the calibration and
                         each reading twice: as the ADC gave it (vf_raw, vc_raw: 'V (raw ADC)') and calibrated (vf, vc)
  --eval-every N         measure train and test MSE on the board every N steps (default 0: only before and after)
  --target-test-mse X    stop once an evaluation's test MSE is <= X V^2 (needs --eval-every)
  --plateau W,R          stop once the best test MSE of the last W evaluations improved on the best before them
                         by no more than the fraction R (needs --eval-every)
  Ctrl-C stops after the current step (final settings and MSE as usual); a second Ctrl-C aborts, leaving the board
  safe (sources at 0 V, clamps released) and exiting 1.
  with --json: {steps, conductance (nominal: gate edges at mid-ADC; null if the board's law is unknown), settings, train_mse, test_mse, redone_steps,
  stop_reason (steps, stop, target or plateau), alarms, run, calibration, evaluations: [{step, train_mse, test_mse}]}
 Spring networks (NETWORK a clln.springs/1 file, TASK a clln.strain-task/1 file from 'clln task strain'):
  one step is one pass over the task's directions (A -> B, and B -> A when cooperative): the free and clamped states of
  each, then one update of every stiffness, k <- clip(k - alpha/(2 eta) sum [(ext^C)^2 - (1 - lambda)(ext^F)^2],
  bounds) (ext: the spring's extension; lambda: the task's energy regularisation). Error: the mean over directions
  of (eps_T^F - Delta)^2 (strain^2).
  --rule cl|gradient     coupled learning (default), or exact gradient descent on 1/2 sum (eps_T^F - Delta)^2 by an
                         adjoint solve (a simulation-only reference; ignores lambda)
  --eta X                clamping strength in (0, 1] (default the task file's eta, else 0.1)
  --alpha X              learning rate (default 30): cl in energy / length^4; gradient in energy^2 / length^4. No fixed
                         value suits every network: the error grows above alpha_c = 2 / (kappa |d eps_T/dk|^2) (kappa
                         the target's stiffness with the source held), which 'clln diagnose NET TASK' reports and which
                         falls steeply with the source-target distance. Measured (cl, eta 0.1, Delta = 2 eps_T^F, 300
                         steps, triangular Z 4.6, auto pairs): alpha_c 5e4, 1.2e5, 1.1e10 on 8x8, 16x16, 32x32;
                         converged for 0.03-0.06 alpha_c on all three, diverged at >= 2 alpha_c; alpha 30 left the
                         error at 0.32, 0.68, 1.0 of its start. With Delta far from eps_T^F alpha_c changes as the
                         network learns: scan by decades from below (32x32, Delta 0.01: only 1e5-3e5 converged).
                         See src/physics/springs/README.md, 'Choosing alpha'.
  --steps N, --json, --record FILE, --no-record, --snapshot-every N, --eval-every N, --save-network OUT (clln.springs/1)
                         as above; --seed is recorded only (nothing is random). The record's layout is
                         clln.spring-steps/1; 'clln resume FILE' continues a killed run with the same numbers.
  with --json: {kind: "springs", steps, rule, eta, alpha, stiffness, train_mse, initial_train_mse, target_strain,
  delta, max_residual, evaluations: [{step, train_mse}]}
 On a terminal, progress (step, steps/s, running cost, last train/test MSE) is drawn on stderr, at most 4 times a second.`;

export function train(argv: string[], io: Io): number | Promise<number> {
  const p = parse('train', argv, {
    rule: { type: 'string' },
    eta: { type: 'string' },
    beta: { type: 'string' },
    alpha: { type: 'string' },
    steps: { type: 'string' },
    order: { type: 'string' },
    seed: { type: 'string' },
    taps: { type: 'string' },
    'gate-bounds': { type: 'string' },
    method: { type: 'string' },
    'save-network': { type: 'string' },
    json: { type: 'boolean' },
    board: { type: 'string' },
    update: { type: 'string' },
    amp: { type: 'string' },
    samples: { type: 'string' },
    ...TWIN_OPTIONS,
    ...BOARD_FILE_OPTION,
    record: { type: 'string' },
    'no-record': { type: 'boolean' },
    calibration: { type: 'string' },
    'eval-every': { type: 'string' },
    'target-test-mse': { type: 'string' },
    plateau: { type: 'string' },
    'snapshot-every': { type: 'string' },
  });
  const [netPath, taskPath] = positionals(p, 'train', ['NETWORK', 'TASK']);
  // The network file is read once: its format says which kind of run this is, and the document is then parsed as
  // that kind (a file that cannot be read is read again by its reader, which says why).
  const netDoc = readDocument(netPath);
  if (formatOf(netDoc) === SPRINGS_FORMAT) return trainSpringNetwork(p, netPath, taskPath, io);
  if (fileFormat(taskPath) === STRAIN_TASK_FORMAT) {
    throw new InvalidInputError(
      { source: taskPath, field: 'format' },
      `is a strain task (${STRAIN_TASK_FORMAT}), which trains spring networks, but ${netPath} is not a spring network (${SPRINGS_FORMAT})`,
      `give a spring network ('clln network springs ...') with this task, or a clln.task/1 task ('clln task linear ...') with this network`,
    );
  }
  const readOptions = { nonlinear: true, command: 'clln train' };
  const net = netDoc === undefined ? readNetworkFile(netPath, readOptions) : networkOfDocument(netDoc, netPath, readOptions);
  const task = readTaskFile(taskPath, net);
  const opts: TrainOptions = {
    rule: str(p, 'rule') as TrainOptions['rule'],
    eta: num(p, 'eta'),
    beta: num(p, 'beta'),
    alpha: num(p, 'alpha'),
    steps: int(p, 'steps'),
    order: str(p, 'order') as TrainOptions['order'],
    seed: num(p, 'seed', Number.isInteger, 'must be an integer'),
    method: str(p, 'method') as TrainOptions['method'],
  };
  const gateBounds = str(p, 'gate-bounds');
  if (gateBounds !== undefined) {
    const g = gateBounds.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (g.length !== 2 || !g.every(Number.isFinite) || !(g[0] <= g[1])) {
      throw new InvalidInputError({ source: '--gate-bounds' }, `expected LO,HI in volts with LO <= HI, got ${JSON.stringify(gateBounds)}`, 'give e.g. --gate-bounds 0,5');
    }
    opts.gateBounds = [g[0], g[1]];
  }
  const tapCount = int(p, 'taps', 2);
  if (tapCount !== undefined) {
    if (!net.bounds) {
      throw new InvalidInputError({ source: netPath, field: 'bounds' }, '--taps COUNT spans the network bounds, but the network has none', 'add "bounds": [k_min, k_max] to the network file');
    }
    opts.taps = geometricTaps(tapCount, net.bounds[0], net.bounds[1]);
  }
  const json = p.values.json === true;
  const boardSpec = str(p, 'board');
  if (boardSpec !== undefined) {
    if (isNonlinear(net)) {
      const e = net.elements!.findIndex((el) => el !== null);
      throw new InvalidInputError(
        { source: netPath, field: `elements[${e}]` },
        `is a ${net.elements![e]!.kind} element; --board trains a board, whose network is its topology ('clln network board MODEL') and whose edges come from its board model`,
        'drop --board to train this nonlinear network in simulation',
      );
    }
    if (str(p, 'rule') !== undefined && str(p, 'rule') !== 'cl' && str(p, 'rule') !== 'tap') {
      throw new InvalidInputError({ source: '--rule' }, `boards learn by coupled learning (their clamped-state rule), got ${str(p, 'rule')}`, 'drop --rule or use --rule cl');
    }
    if (p.values['snapshot-every'] !== undefined) {
      throw new InvalidInputError({ source: '--snapshot-every' }, 'applies to simulated runs (a board run records every setting each step)', 'drop --snapshot-every');
    }
    // the board path (serial ports, twins, the run pipeline of a board) loads only when a board is asked for
    const board = {
      spec: boardSpec,
      netPath,
      taskPath,
      net,
      task,
      json,
      record: p.values['no-record'] === true ? null : str(p, 'record'),
      calibrationPath: str(p, 'calibration'),
      boardFile: boardFileOption(p),
      options: {
        update: str(p, 'update') as 'host' | 'device' | undefined,
        eta: opts.eta,
        amp: num(p, 'amp'),
        steps: opts.steps,
        order: opts.order,
        seed: opts.seed,
        samples: int(p, 'samples', 1),
        evalEvery: int(p, 'eval-every', 0),
        stop: stopConditions(p),
      },
      connect: twinConnectOptions(p),
    };
    return import('./trainBoard.js').then((m) => m.trainBoard(board, io));
  }
  for (const f of ['update', 'amp', 'samples', 'twin-seed', 'twin-faults', 'twin-baud', 'target-test-mse', 'plateau', 'calibration', 'board-file', 'twin-protocol']) {
    if (p.values[f] !== undefined) throw new InvalidInputError({ source: `--${f}` }, 'only applies with --board', `add --board twin, pty or serial:PATH, or drop --${f}`);
  }
  return SIMULATED_CLI.train({ net, task, taskPath, options: opts, ...runOptions(p) }, io);
}

/** The options every in-process run takes (--json, --record/--no-record, --snapshot-every, --eval-every, --save-network), checked together. */
function runOptions(p: Parsed): Omit<TrainRequest<unknown, unknown, unknown>, 'net' | 'task' | 'taskPath' | 'options'> {
  if (p.values['no-record'] === true && str(p, 'record') !== undefined) {
    throw new InvalidInputError({ source: '--no-record' }, 'contradicts --record FILE', 'give one of them');
  }
  if (p.values['no-record'] === true && p.values['snapshot-every'] !== undefined) {
    throw new InvalidInputError({ source: '--snapshot-every' }, 'applies to a record, but --no-record asks for none', 'drop one of them');
  }
  return {
    json: p.values.json === true,
    record: p.values['no-record'] === true ? null : str(p, 'record'),
    snapshotEvery: int(p, 'snapshot-every', 1),
    evalEvery: int(p, 'eval-every', 0),
    saveNetwork: str(p, 'save-network'),
  };
}

/**
 * The `format` of a JSON file, or undefined when it cannot be read or has none (the reader of the file's kind then
 * reports the problem in its own words).
 */
function fileFormat(path: string): string | undefined {
  return formatOf(readDocument(path));
}

/** The parsed JSON document of a file, or undefined when it cannot be read or parsed. */
function readDocument(path: string): unknown {
  try {
    return readJsonFile(path, 'file');
  } catch {
    return undefined;
  }
}

/** The `format` string of a parsed document, if it has one. */
function formatOf(doc: unknown): string | undefined {
  const f = typeof doc === 'object' && doc !== null ? (doc as { format?: unknown }).format : undefined;
  return typeof f === 'string' ? f : undefined;
}

/** Options of `clln train` that spring networks do not take, with why. */
const NOT_FOR_SPRINGS: [string, string][] = [
  ['board', 'boards are resistor networks; a spring network trains in simulation only'],
  ['update', 'applies with --board only'],
  ['amp', 'applies with --board only'],
  ['samples', 'applies with --board only'],
  ['calibration', 'applies with --board only'],
  ['board-file', 'applies with --board only'],
  ['twin-seed', 'applies with --board only'],
  ['twin-faults', 'applies with --board only'],
  ['twin-baud', 'applies with --board only'],
  ['twin-protocol', 'applies with --board only'],
  ['target-test-mse', 'applies with --board only'],
  ['plateau', 'applies with --board only'],
  ['beta', 'is the nudge of ep/cep, which spring networks do not learn with (--rule cl or gradient)'],
  ['order', 'orders a resistor task\'s examples; a spring step takes every direction of the strain task'],
  ['taps', 'is the tap rule\'s table; spring networks learn with --rule cl or gradient'],
  ['gate-bounds', 'bounds transistor gate voltages; spring networks have none'],
  ['method', 'chooses the resistor solver; spring networks are solved by sparse Cholesky with their zero modes handled exactly'],
];

/** `clln train NET.springs.json TASK.strain.json`: parse, check the combination, hand over to SPRING_CLI. */
function trainSpringNetwork(p: Parsed, netPath: string, taskPath: string, io: Io): Promise<number> {
  for (const [f, why] of NOT_FOR_SPRINGS) {
    if (p.values[f] !== undefined) throw new InvalidInputError({ source: `--${f}` }, `${why} (${netPath} is a spring network, ${SPRINGS_FORMAT})`, `drop --${f}`);
  }
  if (fileFormat(taskPath) !== STRAIN_TASK_FORMAT) {
    const f = fileFormat(taskPath);
    if (f !== undefined) {
      throw new InvalidInputError(
        { source: taskPath, field: 'format' },
        `is ${show(f)}, but ${netPath} is a spring network (${SPRINGS_FORMAT}), which trains on a strain task (${STRAIN_TASK_FORMAT})`,
        `make one with 'clln task strain --source A,B --target C,D --delta X --network ${netPath}'`,
      );
    }
  }
  const net = parseSprings(readJsonFile(netPath, 'spring network file'), netPath);
  const task = readStrainTaskFile(taskPath, net, netPath);
  const rule = str(p, 'rule');
  const options: SpringTrainOptions = {
    rule: rule as SpringTrainOptions['rule'],
    eta: num(p, 'eta') ?? task.eta,
    alpha: num(p, 'alpha'),
    steps: int(p, 'steps'),
    seed: num(p, 'seed', Number.isInteger, 'must be an integer'),
  };
  const { eta: _eta, ...strainTask } = task;
  return SPRING_CLI.train({ net, task: strainTask, taskPath, options, ...runOptions(p) }, io);
}

/** --target-test-mse and --plateau W,R as the plan's stop conditions (undefined when neither is given). */
function stopConditions(p: Parsed): StopConditions | undefined {
  const stop: StopConditions = {};
  const target = num(p, 'target-test-mse', (x) => x >= 0, 'must be a number >= 0 (V^2)');
  if (target !== undefined) stop.targetTestMse = target;
  const plateau = str(p, 'plateau');
  if (plateau !== undefined) {
    const m = /^\s*(\d+)\s*[,:]\s*([0-9.eE+-]+)\s*$/.exec(plateau);
    const window = m ? Number(m[1]) : NaN;
    const rel = m ? Number(m[2]) : NaN;
    if (!(Number.isInteger(window) && window >= 1 && rel >= 0 && rel < 1)) {
      throw new InvalidInputError({ source: '--plateau' }, `must be WINDOW,MINREL with WINDOW an integer >= 1 (evaluations) and MINREL in [0, 1), got ${show(plateau)}`, 'e.g. --plateau 5,0.01');
    }
    stop.plateau = { window, minRelativeImprovement: rel };
  }
  if (stop.targetTestMse === undefined && stop.plateau === undefined) return undefined;
  if (!((int(p, 'eval-every', 0) ?? 0) > 0)) {
    const opt = stop.targetTestMse !== undefined ? '--target-test-mse' : '--plateau';
    throw new InvalidInputError({ source: opt }, 'is checked at evaluations, but there are none between the first and the last step', 'add --eval-every N (e.g. --eval-every 50)');
  }
  return stop;
}

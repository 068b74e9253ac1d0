#!/usr/bin/env node
import { VERSION } from '../version.js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { show } from '../errors.js';
import type { Io } from './Io.js';
import { renderError } from './renderError.js';

type Command = (argv: string[], io: Io) => number | Promise<number>;
interface CommandModule {
  run: Command;
  help: string;
}

// Commands load on demand: each pulls in its own dependencies (the serial port binding, RxJS, the solver), and a
// user running `clln solve` should not wait for the rest.
const commands: Record<string, () => Promise<CommandModule>> = {
  solve: () => import('./commands/solve.js').then((m) => ({ run: m.solve, help: m.solveHelp })),
  train: () => import('./commands/train.js').then((m) => ({ run: m.train, help: m.trainHelp })),
  network: () => import('./commands/network.js').then((m) => ({ run: m.network, help: m.networkHelp })),
  task: () => import('./commands/task.js').then((m) => ({ run: m.task, help: m.taskHelp })),
  demo: () => import('./commands/demo.js').then((m) => ({ run: m.demo, help: m.demoHelp })),
  ports: () => import('./commands/ports.js').then((m) => ({ run: m.ports, help: m.portsHelp })),
  twin: () => import('./commands/twin.js').then((m) => ({ run: m.twin, help: m.twinHelp })),
  firmware: () => import('./commands/firmware.js').then((m) => ({ run: m.firmware, help: m.firmwareHelp })),
  runs: () => import('./commands/runs.js').then((m) => ({ run: m.runs, help: m.runsHelp })),
  resume: () => import('./commands/resume.js').then((m) => ({ run: m.resume, help: m.resumeHelp })),
  export: () => import('./commands/export.js').then((m) => ({ run: m.exportRun, help: m.exportHelp })),
  import: () => import('./commands/spice.js').then((m) => ({ run: m.importSpice, help: m.importHelp })),
  calibrate: () => import('./commands/calibrate.js').then((m) => ({ run: m.calibrate, help: m.calibrateHelp })),
  check: () => import('./commands/check.js').then((m) => ({ run: m.check, help: m.checkHelp })),
  diagnose: () => import('./commands/diagnose.js').then((m) => ({ run: m.diagnose, help: m.diagnoseHelp })),
  report: () => import('./commands/report.js').then((m) => ({ run: m.report, help: m.reportHelp })),
  ensemble: () => import('./commands/ensemble.js').then((m) => ({ run: m.ensemble, help: m.ensembleHelp })),
  tui: () => import('./commands/tui.js').then((m) => ({ run: m.tui, help: m.tuiHelp })),
  worker: () => import('./commands/worker.js').then((m) => ({ run: m.worker, help: m.workerHelp })),
  thermal: () => import('./commands/thermal.js').then((m) => ({ run: m.thermal, help: m.thermalHelp })),
  drift: () => import('./commands/drift.js').then((m) => ({ run: m.drift, help: m.driftHelp })),
};

const usage = `clln — lab controller and digital twin for contrastive local learning networks

usage: clln COMMAND [options]

commands:
  solve     node voltages and edge currents of a network with imposed voltages
  train     train a simulated network on a task (cl, ep, cep, tap rules; gradient as reference)
  network   generate network files (lattice, random)
  task      generate task files (linear)
  demo      generate a 4x4 lattice and a linear task and train on it
  ports     list the serial ports a board can be connected to
  twin      serve a simulated board (penn-gen1, penn-gen2, clln-ref16) over a serial line or a pty
  firmware  build the reference C firmware and its emulator; serve the emulated board on a pty
  runs      list the recorded runs (runs/*.jsonl) with their status
  resume    continue an interrupted training run from its record
  export    write a run's steps as CSV or Parquet; export spice: a network as an ngspice netlist
  import    import spice: a SPICE netlist (R, D, V, .subckt) as a network and its imposed voltages
  calibrate fit a board's converters and edges to its twin; writes a calibration record
  check     compare a board with its calibration: predicted vs measured per node, alarms, drift
  tui       the terminal dashboard: train a board and watch it live (npm start opens it on the twin)
  diagnose  what a network learned: Hessian spectra, localised modes, cost-Hessian coupling, fidelity, stability
  thermal   a spring network's strain task at finite temperature: target strain mean and sigmas, crossover T*
  drift     gen-2 small network: fit each gate's learning bias b and rate r to drift-test recordings; predict the
            two-task limit cycles (D^2, MSE, bowties) as tables and figures, beside measured sweeps if given
  worker    run members of an ensemble queued on Redis ('clln ensemble run SPEC --queue URL'), on any machine
  report    a run's figures: learning curve, predicted vs target, edge settings, alarms (SVG, PNG) or a summary
  ensemble  train an ensemble of simulated networks on every core, or on a Redis job queue, into a Parquet
            dataset; its statistics (success rate, distributions, f_e on the network, alignment vs chance)

'clln help COMMAND' shows a command's options. Exit codes: 0 success, 2 bad input, 1 run failure.`;

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0];
    if (topic !== undefined && !Object.hasOwn(commands, topic)) {
      // a help topic that is no command is bad input, like an unknown command: one paragraph, exit 2
      io.stderr.write(`clln help: no command ${show(topic)}; commands: ${Object.keys(commands).join(', ')} (see 'clln help')\n`);
      return 2;
    }
    if (topic !== undefined) io.stdout.write((await commands[topic]()).help + '\n');
    else io.stdout.write(usage + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    io.stderr.write(`clln: unknown command ${show(name)}; commands: ${Object.keys(commands).join(', ')} (see 'clln help')\n`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.help + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    const { code, text } = renderError(name, err);
    io.stderr.write(text);
    return code;
  }
}

/** Package version, as recorded in run documents (from package.json). */
export { VERSION };

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`clln: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

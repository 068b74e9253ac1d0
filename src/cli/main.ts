#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CllnError, InvalidInputError } from '../errors.js';
import { demo, demoHelp } from './commands/demo.js';
import { exportHelp, exportRun } from './commands/export.js';
import { network, networkHelp } from './commands/network.js';
import { ports, portsHelp } from './commands/ports.js';
import { resume, resumeHelp } from './commands/resume.js';
import { runs, runsHelp } from './commands/runs.js';
import { solve, solveHelp } from './commands/solve.js';
import { task, taskHelp } from './commands/task.js';
import { train, trainHelp } from './commands/train.js';
import { twin, twinHelp } from './commands/twin.js';
import type { Io } from './Io.js';

type Command = (argv: string[], io: Io) => number | Promise<number>;

const commands: Record<string, { run: Command; help: string }> = {
  solve: { run: solve, help: solveHelp },
  train: { run: train, help: trainHelp },
  network: { run: network, help: networkHelp },
  task: { run: task, help: taskHelp },
  demo: { run: demo, help: demoHelp },
  ports: { run: ports, help: portsHelp },
  twin: { run: twin, help: twinHelp },
  runs: { run: runs, help: runsHelp },
  resume: { run: resume, help: resumeHelp },
  export: { run: exportRun, help: exportHelp },
};

const usage = `clln — lab controller and digital twin for contrastive local learning networks

usage: clln COMMAND [options]

commands:
  solve     node voltages and edge currents of a network with imposed voltages
  train     train a simulated network on a task (cl, ep, cep, tap rules)
  network   generate network files (lattice, random)
  task      generate task files (linear)
  demo      generate a 4x4 lattice and a linear task and train on it
  ports     list the serial ports a board can be connected to
  twin      serve a simulated board (penn-gen1, penn-gen2) over a serial line or a pty
  runs      list the recorded runs (runs/*.jsonl) with their status
  resume    continue an interrupted training run from its record
  export    write a run's steps as CSV or Parquet

'clln help COMMAND' shows a command's options. Exit codes: 0 success, 2 bad input, 1 run failure.`;

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0];
    if (topic && commands[topic]) io.stdout.write(commands[topic].help + '\n');
    else io.stdout.write(usage + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.stderr.write(`clln: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(commands).join(', ')} (see 'clln help')\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.help + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof InvalidInputError) {
      // errors raised while parsing the command line already name the command
      io.stderr.write(`${err.message.startsWith('clln ') ? '' : `clln ${name}: `}${err.message}\n`);
      return 2;
    }
    if (err instanceof CllnError) {
      io.stderr.write(`clln ${name}: ${(err as Error).message}\n`);
      return 1;
    }
    io.stderr.write(`clln ${name}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/** Package version, as recorded in run documents. */
export const VERSION = '0.1.0';

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

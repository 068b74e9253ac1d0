import { InvalidInputError, show } from '../../errors.js';
import type { ServingTwin } from '../../pipeline/serveTwin.js';
import { int, parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';
import { serveUntilStopped } from '../serveUntilStopped.js';

export const twinHelp = `clln twin serve --board NAME|FILE [--port PATH | --pty [--link PATH]] [--seed S] [--ideal]
                [--faults SPEC] [--baud 115200] [--step-ms MS]
  Run a simulated board (twin) that speaks the board protocol on a serial line, until SIGINT or SIGTERM
  (then it removes its pty link and exits 0; a twin killed outright leaves a folder the next one removes).
  Prints 'READY <path>' on stdout once the host can open <path> (with --port: the device the twin opened).
  --board    a model name (penn-gen1, penn-gen2, clln-ref16: twins/models/NAME.json) or a clln.board/1 file
  --pty      (default) serve on a new pseudo-terminal (made in-process, no system tool needed); the host
             opens the printed path, a link that disappears while an unplug fault lasts. --link PATH
             chooses that path
  --port     serve on an existing serial device
  --seed     seed of every non-ideality and fault (default 0)
  --ideal    no noise, drift, tolerance or DAC errors (ADC quantisation and tap granularity stay)
  --protocol protocol version to speak: 1.4 (default), 1.3 (no CYCLE or STEP src=), 1.2 (no keep= in
             ID either), 1.1 (no edge law either)
  --faults   e.g. "garble=0.01,drop=0.001,reset-every=2000,unplug-every=5000,unplug-ms=500":
             garble = probability per sent line of one flipped bit, drop = probability per sent line of
             losing it, reset-every / unplug-every = after every N commands the board reboots / the
             link goes away for unplug-ms (board rebooted when it comes back)
  --baud     output pacing, 10 bit times per byte (default 115200; 0 = unpaced)
  --lead-ms  how far ahead of its wire time a paced line may be written (default 20; 0 = a timer per line, as before 1.4)
  --step-ms  time per step of an autonomous run (default from the model's sample rate)
  --exit-with-parent  stop when standard input closes or standard output breaks (used when a host spawns
             the twin, so that it goes, cleaned up, when the host dies, even by kill -9)`;

export async function twin(argv: string[], io: Io): Promise<number> {
  const p = parse('twin', argv, {
    board: { type: 'string' },
    port: { type: 'string' },
    pty: { type: 'boolean' },
    link: { type: 'string' },
    seed: { type: 'string' },
    ideal: { type: 'boolean' },
    protocol: { type: 'string' },
    faults: { type: 'string' },
    baud: { type: 'string' },
    'step-ms': { type: 'string' },
    'lead-ms': { type: 'string' },
    'exit-with-parent': { type: 'boolean' },
  });
  const [sub] = positionals(p, 'twin', ['serve']);
  if (sub !== 'serve') throw new InvalidInputError({ source: 'clln twin' }, `unknown subcommand ${show(sub)}`, "use 'clln twin serve --board NAME'");
  const board = str(p, 'board');
  if (!board) throw new InvalidInputError({ source: '--board' }, 'is required', 'give a model name (penn-gen1, penn-gen2, clln-ref16) or a clln.board/1 file');
  const portPath = str(p, 'port');
  const link = str(p, 'link');
  if (portPath !== undefined && (p.values.pty === true || link !== undefined)) {
    throw new InvalidInputError({ source: '--port' }, 'cannot be combined with --pty or --link', 'choose one transport');
  }
  const seedText = str(p, 'seed');
  const seed = seedText === undefined ? 0 : Number(seedText);
  if (!Number.isInteger(seed)) throw new InvalidInputError({ source: '--seed' }, `must be an integer, got ${show(seedText)}`);
  const baud = int(p, 'baud', 0) ?? 115200;
  const stepText = str(p, 'step-ms');
  const stepMs = stepText === undefined ? undefined : Number(stepText);
  if (stepMs !== undefined && !(Number.isFinite(stepMs) && stepMs >= 0)) throw new InvalidInputError({ source: '--step-ms' }, `must be a number >= 0, got ${show(stepText)}`);
  const leadText = str(p, 'lead-ms');
  const leadMs = leadText === undefined ? undefined : Number(leadText);
  if (leadMs !== undefined && !(Number.isFinite(leadMs) && leadMs >= 0)) throw new InvalidInputError({ source: '--lead-ms' }, `must be a number >= 0, got ${show(leadText)}`);
  const faultsText = str(p, 'faults') ?? '';
  const protocol = str(p, 'protocol');
  if (protocol !== undefined && protocol !== '1.1' && protocol !== '1.2' && protocol !== '1.3' && protocol !== '1.4') throw new InvalidInputError({ source: '--protocol' }, `must be 1.1, 1.2, 1.3 or 1.4, got ${show(protocol)}`, 'give --protocol 1.1, 1.2, 1.3 or 1.4, or drop it');
  const exitWithParent = p.values['exit-with-parent'] === true;

  // loaded on demand: the twin's transports pull in the serial port's and the pty's native bindings
  const { serveTwin } = await import('../../pipeline/serveTwin.js');
  const log = (msg: string): void => {
    io.stderr.write(`clln twin: ${msg}\n`);
  };
  let final: ServingTwin['stats'] | undefined;
  const code = await serveUntilStopped<ServingTwin>(io, {
    exitWithParent,
    start: () => serveTwin({ board, seed, ideal: p.values.ideal === true, protocol: protocol as '1.1' | '1.2' | '1.3' | '1.4' | undefined, faults: faultsText, baud, stepMs, leadMs, port: portPath, link, log }),
    onReady: (served) => log(`${served.description} on ${served.path}, seed ${seed}${p.values.ideal ? ', ideal' : ''}`),
    onStop: (served) => {
      final = { ...served.stats };
    },
  });
  if (final) log(`stopped: ${final.commands} commands, ${final.resets} resets, ${final.unplugs} unplugs, ${final.droppedLines} lines dropped, ${final.garbledBytes} bytes garbled`);
  return code;
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError, show } from '../errors.js';

/** Parsed command line of one subcommand. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** `util.parseArgs`, with its errors turned into InvalidInputError (exit code 2) naming the command. */
export function parse(command: string, argv: string[], options: ParseArgsConfig['options']): Parsed {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (err) {
    let msg = err instanceof Error ? err.message : String(err);
    // Node's message quotes the unknown option twice, whatever its length; quote it once, bounded
    const unknown = /^Unknown option '([\s\S]*?)'\. To specify/.exec(msg);
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) msg = `unknown option ${show(unknown[1])}`;
    throw new InvalidInputError({ source: `clln ${command}` }, msg, `see 'clln help ${command.split(' ')[0]}'`);
  }
}

/** A string option, or undefined. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A finite number option with a range rule; undefined when absent. */
export function num(p: Parsed, name: string, check?: (x: number) => boolean, rule = 'must be a finite number'): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (check && !check(x))) {
    throw new InvalidInputError({ source: `--${name}` }, `${rule}, got ${show(v)}`);
  }
  return x;
}

/** An integer option >= min (and exactly representable: at most 2^53 - 1); undefined when absent. */
export function int(p: Parsed, name: string, min = 0): number | undefined {
  return num(p, name, (x) => Number.isSafeInteger(x) && x >= min, `must be an integer >= ${min}${min >= 0 ? ' and < 2^53' : ''}`);
}

/** Exactly `count` positionals named in `names`, else an error saying what is expected. */
export function positionals(p: Parsed, command: string, names: string[], optional = 0): string[] {
  const n = p.positionals.length;
  if (n < names.length - optional || n > names.length) {
    throw new InvalidInputError(
      { source: `clln ${command}` },
      `expected ${names.join(' ')}, got ${n} argument${n === 1 ? '' : 's'}${n ? ': ' + p.positionals.slice(0, 4).map(show).join(' ') + (n > 4 ? ' ...' : '') : ''}`,
      `usage: clln ${command} ${names.join(' ')}`,
    );
  }
  return p.positionals;
}

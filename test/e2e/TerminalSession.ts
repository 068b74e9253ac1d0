/**
 * A program running in a real terminal, with nothing but npm packages: a pseudo-terminal spawned with node-pty
 * (`@lydell/node-pty`, its native binding prebuilt inside the npm package) and the screen kept by a headless terminal
 * emulator (`@xterm/headless`, xterm.js without a browser). Tests press keys, wait for the screen to show something
 * (checked each time the emulator has taken new output, never on a timer), and wait for the exit code.
 */
import { spawn, type IPty } from '@lydell/node-pty';
import xterm from '@xterm/headless';

export interface TerminalOptions {
  cols?: number;
  rows?: number;
  /** Environment of the program (default: this process's). `TERM` is set to xterm-256color. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Begin and end of a synchronized update (DEC private mode 2026). */
const BSU = '\u001B[?2026h';
const ESU = '\u001B[?2026l';

/**
 * Whether `output` up to `end` leaves a synchronized update open, given that it was open (`before`) at `from`:
 * decided by the last BSU or ESU in `from..end` (looked for from a few characters before `from`, so that a marker
 * split across two chunks is still found); `before` when there is neither.
 */
export function insideSynchronizedUpdate(output: string, from: number, end: number, before: boolean): boolean {
  const text = output.slice(Math.max(0, from - BSU.length + 1), end);
  const b = text.lastIndexOf(BSU);
  const e = text.lastIndexOf(ESU);
  if (b < 0 && e < 0) return before;
  return b > e;
}

export class TerminalSession {
  /** Everything the program wrote, raw (escape sequences, carriage returns). */
  output = '';
  /** The program's exit code, once it has exited (a signal counts as 128 + its number). */
  readonly exited: Promise<number>;

  private readonly term: InstanceType<typeof xterm.Terminal>;
  private readonly pty: IPty;
  private waiters = new Set<() => void>();
  private pendingWhat: string | null = null;
  /** How much of {@link output} the emulator has parsed (is on the screen, or was). */
  private parsed = 0;
  private exitCode: number | null = null;
  /** Inside a synchronized update (a frame being drawn) at the end of what the emulator has parsed. */
  private inFrame = false;

  constructor(file: string, args: string[], opts: TerminalOptions = {}) {
    const cols = opts.cols ?? 120;
    const rows = opts.rows ?? 40;
    this.term = new xterm.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
    this.pty = spawn(file, args, { name: 'xterm-256color', cols, rows, cwd: opts.cwd, env: { ...(opts.env ?? process.env), TERM: 'xterm-256color' } });
    this.pty.onData((d) => {
      this.output += d;
      // the screen (and the output) is checked once the emulator has parsed this chunk, and only between frames: a
      // program that draws a frame inside a synchronized update (BSU ... ESU, DEC mode 2026, as ink does on a
      // terminal) means the screen to change at ESU; a frame can span several chunks of pty output, and a screen
      // read in the middle of one shows half a frame (the bottom rows erased, not yet redrawn)
      this.term.write(d, () => {
        const from = this.parsed;
        this.parsed += d.length;
        this.inFrame = insideSynchronizedUpdate(this.output, from, this.parsed, this.inFrame);
        if (!this.inFrame) this.notify();
      });
    });
    this.exited = new Promise((resolve) => {
      this.pty.onExit(({ exitCode, signal }) => {
        // let the emulator finish the last output first (its write callbacks run in order)
        this.term.write('', () => {
          this.exitCode = signal ? 128 + signal : exitCode;
          this.notify();
          resolve(this.exitCode);
        });
      });
    });
  }

  /** The screen as text, one line per row, trailing blanks trimmed. */
  screen(): string {
    const b = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < this.term.rows; i++) lines.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  /** Type keys (as the terminal would send them). */
  press(keys: string): void {
    this.pty.write(keys);
  }

  /**
   * Resolve with the screen as soon as `test` holds for it (a RegExp, or a predicate). Rejects, showing the last
   * screen, if the program exits first.
   */
  waitFor(test: RegExp | ((screen: string) => boolean)): Promise<string> {
    const ok = typeof test === 'function' ? test : (s: string) => test.test(s);
    return this.until(() => {
      const s = this.screen();
      return ok(s) ? s : null;
    }, `the screen to match ${test}`);
  }

  /**
   * Resolve once the raw output from offset `from` on (as far as the emulator has drawn it) matches `re`; rejects if
   * the program exits first. For what is on the screen only briefly: the screen is read after each chunk of output,
   * and a chunk can hold several frames.
   */
  waitForOutput(re: RegExp, from = 0): Promise<string> {
    return this.until(() => {
      const seen = this.output.slice(from, this.parsed);
      return re.test(seen) ? seen : null;
    }, `the output to match ${re}`);
  }

  /** What the session is waiting for right now (for failure messages), or null. */
  get waitingFor(): string | null {
    return this.pendingWhat;
  }

  /** Kill the program (if it still runs). */
  kill(): void {
    if (this.exitCode === null) this.pty.kill('SIGKILL');
  }

  private until<T>(check: () => T | null, what: string): Promise<T> {
    this.pendingWhat = what;
    return new Promise((resolve, reject) => {
      const attempt = (): void => {
        const r = check();
        if (r !== null) {
          this.waiters.delete(attempt);
          this.pendingWhat = null;
          resolve(r);
        } else if (this.exitCode !== null) {
          this.waiters.delete(attempt);
          reject(new Error(`the program exited (${this.exitCode}) before ${what}; last screen:\n${this.screen()}`));
        }
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

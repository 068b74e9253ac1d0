/**
 * Typed errors. Every error clln throws on purpose is an instance of {@link CllnError}
 * (checked by a brand, so that each subclass can also extend the builtin kind that fits:
 * `InvalidInputError` is a `RangeError`, `NumericalError` is an `Error`).
 */
const BRAND = Symbol.for('clln.error');

function brand(e: object): void {
  Object.defineProperty(e, BRAND, { value: true, enumerable: false });
}

/** Root of all clln errors. `x instanceof CllnError` is true for every subclass below. */
export class CllnError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CllnError';
    brand(this);
  }
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Where in the user's input a problem sits. */
export interface InputLocation {
  /** File name or option source, e.g. `net.json` or `--eta`. */
  source?: string;
  /** JSON path or option name, e.g. `edges[3]` or `eta`. */
  field?: string;
}

/** Longest quote of a user's value in a message (characters, before escaping): {@link show}. */
export const MAX_QUOTE = 80;
/** Longest file name or option source in a message (characters); longer ones keep their start and end. */
const MAX_SOURCE = 160;
/** Longest field path in a message (characters). */
const MAX_FIELD = 160;
/**
 * Longest problem and fix texts (characters): a safety net only. Values are quoted through {@link show}, so a
 * message reaches this only when code interpolates something unbounded, and then stays one bounded paragraph.
 */
const MAX_PROBLEM = 800;
const MAX_FIX = 400;

/**
 * Bad input from the user (a file, an option, a value): the CLI exits with code 2.
 * The message names the source, the field, the rule broken, the value and the fix, as one line:
 * `SOURCE: FIELD: problem (fix: ...)`. Every part is made printable (control characters escaped, see
 * {@link printable}) and bounded in length, so the message is one short paragraph whatever the input.
 */
export class InvalidInputError extends RangeError {
  readonly source?: string;
  readonly field?: string;
  /** The rule broken and the value, without the source, the field and the fix. */
  readonly problem: string;
  readonly fix?: string;
  constructor(where: InputLocation, problem: string, fix?: string) {
    const src = where.source ? clipMiddle(printable(where.source), MAX_SOURCE) : '';
    const field = where.field ? bounded(where.field, MAX_FIELD) : '';
    const loc = [src, field].filter(Boolean).join(': ');
    super(`${loc ? loc + ': ' : ''}${bounded(problem, MAX_PROBLEM)}${fix ? ` (fix: ${bounded(fix, MAX_FIX)})` : ''}`);
    this.name = 'InvalidInputError';
    this.source = where.source;
    this.field = where.field;
    this.problem = bounded(problem, MAX_PROBLEM);
    this.fix = fix;
    brand(this);
  }
}

/**
 * An input or output operation failed for a reason that is not the user's input: permission denied, disk full, an
 * I/O error of the device. The CLI exits with code 1 and names the path and the operating system's reason. (A
 * missing file, a directory where a file is expected or a path too long are bad input instead:
 * {@link InvalidInputError}, exit 2. See {@link fileError}.)
 */
export class IoError extends Error {
  /** The file or directory the operation was on. */
  readonly path: string;
  /** The operating system's error code, e.g. `EACCES`, `ENOSPC`, `EIO`. */
  readonly code: string;
  constructor(path: string, action: string, code: string, reason: string, options?: { cause?: unknown }) {
    super(`${clipMiddle(printable(path), MAX_SOURCE)}: cannot ${bounded(action, 200)}: ${bounded(reason, 200)} (${code})`, options);
    this.name = 'IoError';
    this.path = path;
    this.code = code;
    brand(this);
  }
}

/**
 * Error codes of a failed file operation that mean the user named the wrong thing (exit 2): no such file or
 * directory, a file where a directory is expected or the reverse, a name too long, a symbolic-link loop.
 * Every other code (EACCES, EPERM, ENOSPC, EDQUOT, EROFS, EIO, EMFILE, EBUSY, ...) is an I/O failure (exit 1).
 */
export const BAD_PATH_CODES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/**
 * Turn the error of a file operation on `path` into a typed one: {@link InvalidInputError} (exit 2) for the codes
 * in {@link BAD_PATH_CODES}, {@link IoError} (exit 1) for the others; anything that is not a system error is
 * returned as it is.
 * @param action what was being done, e.g. `read the network file`, `write the file`
 * @param fix the fix offered for a bad path
 */
export function fileError(e: unknown, path: string, action: string, fix = 'check the path'): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return e;
  const bad = Object.hasOwn(BAD_PATH_CODES, code) ? BAD_PATH_CODES[code] : undefined;
  const named = path === '' ? '(an empty file name)' : path;
  if (bad !== undefined) return new InvalidInputError({ source: named }, `cannot ${action}: ${bad}`, fix);
  return new IoError(named, action, code, osReason(e as Error, code), { cause: e });
}

/** The operating system's reason in a Node system error (`EACCES: permission denied, open '/x'` -> `permission denied`). */
function osReason(e: Error, code: string): string {
  const m = /^[A-Z0-9]+: ([^,]*)/.exec(String(e?.message ?? ''));
  return m && m[1] ? m[1] : code;
}

/** A numerical method could not deliver what the caller required (e.g. matrix not positive definite). */
export class NumericalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NumericalError';
    brand(this);
  }
}

/**
 * Describe a user's value for an error message, briefly: at most {@link MAX_QUOTE} characters of it (strings quoted
 * and escaped like JSON, control characters escaped; arrays and objects as the start of their JSON text), with
 * `...` where it was cut. Bounded work whatever the value: a long string is cut before it is escaped, and arrays
 * and objects are walked only as far as the quote reaches (never recursing deeper than that), so a huge or deeply
 * nested value costs no more than a small one.
 */
export function show(value: unknown): string {
  const out: string[] = [];
  let room = MAX_QUOTE;
  const emit = (text: string): boolean => {
    if (room <= 0) return false;
    if (text.length > room) {
      out.push(text.slice(0, room));
      room = 0;
      return false;
    }
    out.push(text);
    room -= text.length;
    return true;
  };
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') {
      // cut first (a 100 kB string is never escaped whole), then escape; the escapes may lengthen it a little
      const cut = v.length > room - 2 ? v.slice(0, Math.max(0, room - 2)) : v;
      return emit(printable(JSON.stringify(cut))) && cut.length === v.length;
    }
    if (typeof v === 'number') return emit(Number.isNaN(v) ? 'NaN' : String(v));
    if (v === null || typeof v === 'boolean') return emit(String(v));
    if (typeof v === 'bigint') return emit(`${v}n`);
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return emit(String(v === undefined ? 'undefined' : typeof v));
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      const a = v as ArrayLike<unknown>;
      if (!emit('[')) return false;
      for (let i = 0; i < a.length; i++) {
        if (i > 0 && !emit(',')) return false;
        if (!walk(a[i])) return false;
      }
      return emit(']');
    }
    if (v instanceof Map) return emit(`Map(${v.size})`);
    if (typeof v === 'object') {
      if (!emit('{')) return false;
      let first = true;
      for (const k in v as Record<string, unknown>) {
        if (!Object.hasOwn(v as object, k)) continue;
        if (!first && !emit(',')) return false;
        first = false;
        if (!walk(k) || !emit(':') || !walk((v as Record<string, unknown>)[k])) return false;
      }
      return emit('}');
    }
    return emit(String(v));
  };
  const whole = walk(value);
  return whole ? out.join('') : out.join('') + '...';
}

/**
 * `text` with every character that could break a one-line message or a terminal escaped: C0 and C1 control
 * characters (newline, carriage return, escape, ...), DEL, the Unicode line and paragraph separators and the
 * bidirectional overrides, written `\n`, `\r`, `\t` or `\u001b`-style. Other text is kept as it is.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
  });
}

/** `text` cut to at most `max` characters, ending in `...` when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 3) + '...';
}

/** {@link printable} and {@link clip}, cutting first so that a huge text is never escaped whole. */
function bounded(text: string, max: number): string {
  return clip(printable(text.length > max ? text.slice(0, max) : text), max);
}

/** `text` cut to at most `max` characters by dropping its middle (`...`), keeping the start and the end (a path's file name). */
function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  // (printable was applied to the whole source: sources are paths and option names, at most a few kB)
  const head = Math.ceil((max - 3) / 2);
  return text.slice(0, head) + '...' + text.slice(text.length - (max - 3 - head));
}

/** A board did not answer a command within its timeout after all retries. */
export class BoardTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BoardTimeoutError';
    brand(this);
  }
}

/** The link to a board went down while a call was in flight (or stayed down past the reconnect limit). */
export class BoardDisconnectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BoardDisconnectedError';
    brand(this);
  }
}

/** The board answered `ERR CODE MESSAGE` (PROTOCOL.md error codes), or broke the protocol. */
export class BoardProtocolError extends Error {
  /** Protocol error code (400, 404, 409, 416, 424, 500, 503; PROTOCOL.md section 5), or 0 for a protocol violation seen by the host. */
  readonly code: number;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BoardProtocolError';
    this.code = code;
    brand(this);
  }
}

/**
 * The board answered `ERR CODE MESSAGE` to a command: it refused it (PROTOCOL.md section 5). A
 * {@link BoardProtocolError} whose `code` is the board's, with the verb and the board's own message kept apart so
 * that nobody has to take the error message apart again.
 */
export class BoardRefusedError extends BoardProtocolError {
  /** The command's verb, e.g. `HALT`. */
  readonly verb: string;
  /** The board's message after the code (free text, may be empty). */
  readonly reply: string;
  constructor(verb: string, code: number, reply: string, options?: { cause?: unknown }) {
    super(code, `${verb} refused by the board: ${code} ${reply}`, options);
    this.name = 'BoardRefusedError';
    this.verb = verb;
    this.reply = reply;
  }
}

/**
 * The port now answers as another board (a different model or uid) than the one the host opened: reconnecting
 * cannot fix that, so the host stops trying. A {@link BoardProtocolError} with code 0 (seen by the host).
 */
export class DifferentBoardError extends BoardProtocolError {
  /** The board the host was talking to, and the one that answers now (`model uid`). */
  readonly expected: string;
  readonly found: string;
  constructor(path: string, expected: { model: string; uid: string }, found: { model: string; uid: string }) {
    super(0, `${path} now answers as board ${found.model} uid ${found.uid}, not ${expected.model} uid ${expected.uid}; refusing to continue on a different board`);
    this.name = 'DifferentBoardError';
    this.expected = `${expected.model} ${expected.uid}`;
    this.found = `${found.model} ${found.uid}`;
  }
}

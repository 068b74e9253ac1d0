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

/**
 * Bad input from the user (a file, an option, a value): the CLI exits with code 2.
 * The message names the source, the field, the rule broken, the value and the fix.
 */
export class InvalidInputError extends RangeError {
  readonly source?: string;
  readonly field?: string;
  readonly fix?: string;
  constructor(where: InputLocation, problem: string, fix?: string) {
    const loc = [where.source, where.field].filter(Boolean).join(': ');
    super(`${loc ? loc + ': ' : ''}${problem}${fix ? ` (fix: ${fix})` : ''}`);
    this.name = 'InvalidInputError';
    this.source = where.source;
    this.field = where.field;
    this.fix = fix;
    brand(this);
  }
}

/** A numerical method could not deliver what the caller required (e.g. matrix not positive definite). */
export class NumericalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NumericalError';
    brand(this);
  }
}

/** Describe a value for an error message, briefly. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return String(value);
  }
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

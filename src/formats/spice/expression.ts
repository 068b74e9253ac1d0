/**
 * SPICE numbers and `{...}` parameter expressions, as `clln import spice` reads them (text already lower case).
 *
 * Numbers: a decimal with optional exponent, then an optional scale suffix `f p n u m k meg g t` (1e-15 .. 1e12),
 * `mil` (25.4e-6) or `a` (1e-18, as ngspice), then any letters (a unit, ignored as SPICE does: `10kohm`, `5v`).
 * The value is the correctly rounded double of the decimal with the suffix's exponent added (`1.5u` reads as
 * `1.5e-6`, not `1.5 * 1e-6`), so written numbers come back exactly.
 *
 * Expressions: numbers, parameter names, `+ - * /`, `^` or `**` (power), unary signs, parentheses and the functions
 * `sqrt exp log ln log10 abs min max pow`. Nesting at most {@link MAX_SPICE_EXPRESSION_DEPTH} parentheses; the
 * parser is recursive descent, so that bound is its stack.
 */
import { MAX_SPICE_EXPRESSION_DEPTH } from '../limits.js';

/** A problem with a number or an expression: the rule broken and the fix (the caller adds the file and line). */
export class SpiceValueError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(problem);
  }
}

const SUFFIX_EXPONENT: Record<string, number> = { f: -15, p: -12, n: -9, u: -6, m: -3, k: 3, meg: 6, g: 9, t: 12, a: -18 };
const NUMBER = /^([+-]?)(\d+\.?\d*|\.\d+)(?:e([+-]?\d+))?(meg|mil|[fpnumkgta])?([a-z_]*)$/;

/** The value of a SPICE number, or undefined if `text` is not one. */
export function spiceNumber(text: string): number | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const [, sign, mantissa, exp, suffix] = m;
  if (suffix === 'mil') return Number(`${sign}${mantissa}e${exp ?? 0}`) * 25.4e-6;
  const e = Number(exp ?? 0) + (suffix ? SUFFIX_EXPONENT[suffix] : 0);
  return Number(`${sign}${mantissa}e${e}`);
}

/** Parameter values by name (a Map, or a chain of scopes). */
export interface ParamLookup {
  get(name: string): number | undefined;
}

/** A parsed expression. */
export type Expr =
  | { op: 'num'; value: number }
  | { op: 'param'; name: string }
  | { op: 'neg'; arg: Expr }
  | { op: '+' | '-' | '*' | '/' | '^'; left: Expr; right: Expr }
  | { op: 'call'; name: string; args: Expr[] };

const FUNCTIONS: Record<string, { arity: number; f: (...x: number[]) => number }> = {
  sqrt: { arity: 1, f: Math.sqrt },
  exp: { arity: 1, f: Math.exp },
  log: { arity: 1, f: Math.log },
  ln: { arity: 1, f: Math.log },
  log10: { arity: 1, f: Math.log10 },
  abs: { arity: 1, f: Math.abs },
  min: { arity: 2, f: Math.min },
  max: { arity: 2, f: Math.max },
  pow: { arity: 2, f: Math.pow },
};

/** Parse an expression (without its braces). */
export function parseExpression(text: string): Expr {
  const tokens = lex(text);
  let pos = 0;
  let depth = 0;
  const peek = (): string | undefined => tokens[pos];
  const expect = (t: string): void => {
    if (tokens[pos] !== t) throw new SpiceValueError(`expected ${t} in the expression ${quote(text)}${tokens[pos] === undefined ? ' at its end' : `, found ${quote(tokens[pos])}`}`, 'balance the parentheses and separate arguments by commas');
    pos++;
  };
  const sum = (): Expr => {
    let left = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[pos++] as '+' | '-';
      left = { op, left, right: product() };
    }
    return left;
  };
  const product = (): Expr => {
    let left = unary();
    while (peek() === '*' || peek() === '/') {
      const op = tokens[pos++] as '*' | '/';
      left = { op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Expr => {
    if (peek() === '-' || peek() === '+') {
      const sign = tokens[pos++];
      nest();
      const arg = unary();
      depth--;
      return sign === '-' ? { op: 'neg', arg } : arg;
    }
    return power();
  };
  // right-associative: a^b^c = a^(b^c); binds tighter than unary minus on its left (-a^2 = -(a^2))
  const power = (): Expr => {
    const base = atom();
    if (peek() === '^' || peek() === '**') {
      pos++;
      nest();
      const right = unary();
      depth--;
      return { op: '^', left: base, right };
    }
    return base;
  };
  const nest = (): void => {
    if (++depth > MAX_SPICE_EXPRESSION_DEPTH) {
      throw new SpiceValueError(`the expression nests deeper than ${MAX_SPICE_EXPRESSION_DEPTH} levels`, 'simplify it, or split it into .param lines');
    }
  };
  const atom = (): Expr => {
    const t = tokens[pos++];
    if (t === undefined) throw new SpiceValueError(`the expression ${quote(text)} ends where a value is expected`, 'complete the expression');
    if (t === '(') {
      nest();
      const e = sum();
      expect(')');
      depth--;
      return e;
    }
    const n = spiceNumber(t);
    if (n !== undefined) return { op: 'num', value: n };
    if (/^[a-z_][a-z0-9_.]*$/.test(t)) {
      if (peek() === '(') {
        const fn = FUNCTIONS[t];
        if (!fn) throw new SpiceValueError(`unknown function ${quote(t)}`, `use one of ${Object.keys(FUNCTIONS).join(', ')}`);
        pos++;
        nest();
        const args = [sum()];
        while (peek() === ',') {
          pos++;
          args.push(sum());
        }
        expect(')');
        depth--;
        if (args.length !== fn.arity) throw new SpiceValueError(`${t} takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, got ${args.length}`, `write ${t}(${fn.arity === 1 ? 'x' : 'x, y'})`);
        return { op: 'call', name: t, args };
      }
      return { op: 'param', name: t };
    }
    throw new SpiceValueError(`${quote(t)} is not a number, a parameter or a function in the expression ${quote(text)}`, 'write numbers like 1.5k or 2e-3, and parameters defined by .param above');
  };
  const e = sum();
  if (pos < tokens.length) throw new SpiceValueError(`unexpected ${quote(tokens[pos])} in the expression ${quote(text)}`, 'check the operators between the values');
  return e;
}

/** The value of `e` with the parameters in `params`. */
export function evaluate(e: Expr, params: ParamLookup): number {
  switch (e.op) {
    case 'num':
      return e.value;
    case 'param': {
      const v = params.get(e.name);
      if (v === undefined) throw new SpiceValueError(`parameter ${quote(e.name)} is not defined`, `define it with .param ${e.name}=VALUE above this line (or as a subcircuit parameter)`);
      return v;
    }
    case 'neg':
      return -evaluate(e.arg, params);
    case '+':
      return evaluate(e.left, params) + evaluate(e.right, params);
    case '-':
      return evaluate(e.left, params) - evaluate(e.right, params);
    case '*':
      return evaluate(e.left, params) * evaluate(e.right, params);
    case '/':
      return evaluate(e.left, params) / evaluate(e.right, params);
    case '^':
      return Math.pow(evaluate(e.left, params), evaluate(e.right, params));
    case 'call':
      return FUNCTIONS[e.name].f(...e.args.map((a) => evaluate(a, params)));
  }
}

/**
 * The value of a value token: a number, `{expr}` or `'expr'`.
 * @param reciprocal return 1 / value; an expression `1/X` then gives X itself, unrounded, which is how a
 *   conductance written as `{1/k}` (clln's export) comes back exactly
 */
export function valueOf(token: string, params: ParamLookup, reciprocal = false): number {
  let v: number;
  if ((token.startsWith('{') && token.endsWith('}')) || (token.startsWith("'") && token.endsWith("'") && token.length >= 2)) {
    const e = parseExpression(token.slice(1, -1));
    if (reciprocal && e.op === '/' && e.left.op === 'num' && e.left.value === 1) return evaluate(e.right, params);
    v = evaluate(e, params);
  } else {
    const n = spiceNumber(token);
    if (n === undefined) {
      throw new SpiceValueError(
        `${quote(token)} is not a number`,
        /^[a-z_]/.test(token) ? `write a parameter in braces: {${token.slice(0, 40)}}` : 'write a number like 1k, 4.7u or 2e-3',
      );
    }
    v = n;
  }
  return reciprocal ? 1 / v : v;
}

function lex(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(\*\*|[-+*/^(),]|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?[a-z_]*|[a-z_][a-z0-9_.]*|\S)/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) out.push(m[1]);
  return out;
}

function quote(s: string): string {
  const t = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return JSON.stringify(t);
}

/**
 * A syntax check of JSON text (RFC 8259, exactly what `JSON.parse` accepts) that also bounds the nesting depth. It
 * runs before `JSON.parse`, so that nothing recursive ever touches a document nested deeper than the limit, and it
 * says where a syntax error is and what was expected there, in one line, instead of the engine's message (which
 * quotes the text around the error, control bytes and all). Iterative, O(length) time, O(depth limit) memory.
 * Pure: no I/O.
 */

/** Where a JSON text breaks the grammar or the depth limit, and what was expected there. */
export interface JsonSyntaxProblem {
  /** Offset of the offending character in the text (UTF-16 code units; the text's length at its end). */
  offset: number;
  /** 1-based line of `offset` (lines end at `\n`). */
  line: number;
  /** 1-based column of `offset` within its line (UTF-16 code units). */
  column: number;
  /** What is wrong, e.g. `expected ',' or ']' after an array element, found '}'`. Printable, one line, bounded. */
  problem: string;
  /** True when the text is (so far) valid JSON but nested deeper than the limit; `problem` then says `nested deeper than ...`. */
  tooDeep: boolean;
}

const enum Kind {
  Array = 1,
  Object = 2,
}

/**
 * Check that `text` is one JSON value (surrounded by optional whitespace) nested at most `maxDepth` arrays and
 * objects deep. Returns undefined when it is, else the first problem.
 */
export function checkJsonSyntax(text: string, maxDepth: number): JsonSyntaxProblem | undefined {
  const n = text.length;
  const stack = new Uint8Array(Math.max(1, maxDepth));
  let depth = 0;
  let i = 0;

  const at = (offset: number, problem: string, tooDeep = false): JsonSyntaxProblem => ({ offset, ...lineColumn(text, offset), problem, tooDeep });
  const found = (offset: number): string => (offset >= n ? 'the end of the text' : describeChar(text, offset));
  const skipWs = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  /** Scan a string starting at its opening quote; returns a problem or undefined (i is then after the closing quote). */
  const scanString = (): JsonSyntaxProblem | undefined => {
    const open = i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c === 0x5c) {
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (!isHex(text.charCodeAt(i + k))) return at(i + k, `expected 4 hex digits after \\u in a string, found ${found(i + k)}`);
          }
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
        } else {
          return at(i + 1, `expected an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX) after a backslash in a string, found ${found(i + 1)}`);
        }
        continue;
      }
      if (c < 0x20) return at(i, `a string holds the raw control character ${describeChar(text, i)}; write it as an escape such as \\n or \\u0001`);
      i++;
    }
    const from = lineColumn(text, open);
    return at(n, `the string that starts at line ${from.line}, column ${from.column} is not closed (expected '"')`);
  };
  const scanDigits = (what: string): JsonSyntaxProblem | undefined => {
    if (!isDigit(text.charCodeAt(i))) return at(i, `expected a digit ${what}, found ${found(i)}`);
    while (isDigit(text.charCodeAt(i))) i++;
    return undefined;
  };
  const scanNumber = (): JsonSyntaxProblem | undefined => {
    if (text.charCodeAt(i) === 0x2d) i++;
    const c = text.charCodeAt(i);
    if (c === 0x30) {
      i++;
      if (isDigit(text.charCodeAt(i))) return at(i, 'a number must not have a leading zero (write 7, not 07)');
    } else {
      const p = scanDigits(text.charCodeAt(i - 1) === 0x2d ? "after '-'" : 'in a number');
      if (p) return p;
    }
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      const p = scanDigits("after the decimal point (write 1.0 or 1, not 1.)");
      if (p) return p;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = text.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      const p = scanDigits('in the exponent');
      if (p) return p;
    }
    return undefined;
  };
  /** Scan one value that is not an array or object (those are opened by the main loop). */
  const scanScalar = (what: string): JsonSyntaxProblem | undefined => {
    const c = text.charCodeAt(i);
    if (c === 0x22) return scanString();
    if (c === 0x2d || isDigit(c)) return scanNumber();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return undefined;
      }
    }
    return at(i, `expected ${what}, found ${found(i)}${hint(text, i)}`);
  };

  skipWs();
  // wantValue: the next token must be a value; otherwise what follows a value (inside a container: ',' or its end).
  let wantValue = true;
  while (true) {
    if (wantValue) {
      skipWs();
      const c = text.charCodeAt(i);
      if (c === 0x5b || c === 0x7b) {
        if (depth >= maxDepth) {
          return at(i, `nested deeper than ${maxDepth} levels of arrays and objects (the limit)`, true);
        }
        stack[depth++] = c === 0x5b ? Kind.Array : Kind.Object;
        i++;
        skipWs();
        if (c === 0x5b) {
          if (text.charCodeAt(i) === 0x5d) {
            i++;
            depth--;
            wantValue = false;
            continue;
          }
          continue; // a value follows
        }
        if (text.charCodeAt(i) === 0x7d) {
          i++;
          depth--;
          wantValue = false;
          continue;
        }
        const p = scanKey('a property name in double quotes or \'}\'');
        if (p) return p;
        continue;
      }
      const p = scanScalar('a value (an object, array, string, number, true, false or null)');
      if (p) return p;
      wantValue = false;
      continue;
    }
    // after a value
    skipWs();
    if (depth === 0) {
      if (i < n) return at(i, `expected the end of the text after the top-level value, found ${found(i)}`);
      return undefined;
    }
    const c = text.charCodeAt(i);
    if (stack[depth - 1] === Kind.Array) {
      if (c === 0x2c) {
        i++;
        skipWs();
        if (text.charCodeAt(i) === 0x5d) return at(i, "expected a value after ',', found ']' (JSON allows no trailing comma)");
        wantValue = true;
        continue;
      }
      if (c === 0x5d) {
        i++;
        depth--;
        continue;
      }
      return at(i, `expected ',' or ']' after an array element, found ${found(i)}`);
    }
    if (c === 0x2c) {
      i++;
      skipWs();
      if (text.charCodeAt(i) === 0x7d) return at(i, "expected a property name after ',', found '}' (JSON allows no trailing comma)");
      const p = scanKey('a property name in double quotes');
      if (p) return p;
      continue;
    }
    if (c === 0x7d) {
      i++;
      depth--;
      continue;
    }
    return at(i, `expected ',' or '}' after a property value, found ${found(i)}`);
  }

  /** A property name, the colon after it, and sets up for its value. */
  function scanKey(what: string): JsonSyntaxProblem | undefined {
    skipWs();
    if (text.charCodeAt(i) !== 0x22) return at(i, `expected ${what}, found ${found(i)}${hint(text, i)}`);
    const p = scanString();
    if (p) return p;
    skipWs();
    if (text.charCodeAt(i) !== 0x3a) return at(i, `expected ':' after a property name, found ${found(i)}`);
    i++;
    wantValue = true;
    return undefined;
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** The character at `offset`, printable: `'x'`, or `U+0001` for a control or invisible character. */
function describeChar(text: string, offset: number): string {
  const cp = text.codePointAt(offset) ?? 0;
  if (cp < 0x21 || (cp >= 0x7f && cp <= 0xa0) || cp === 0x2028 || cp === 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff) {
    return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffd) return `U+${cp.toString(16).toUpperCase()}`;
  return `'${String.fromCodePoint(cp)}'`;
}

/** A hint for the usual non-JSON spellings at `offset` (NaN, Infinity, single quotes, comments, bare words). */
function hint(text: string, offset: number): string {
  const c = text[offset];
  if (text.startsWith('NaN', offset) || text.startsWith('Infinity', offset) || text.startsWith('-Infinity', offset)) {
    return ' (JSON has no NaN or Infinity; use a finite number)';
  }
  if (c === "'") return ' (JSON strings and names take double quotes)';
  if (c === '/') return ' (JSON has no comments)';
  if (c !== undefined && /[A-Za-z_$]/.test(c)) return ' (a name or a word needs double quotes; the literals are true, false and null)';
  return '';
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

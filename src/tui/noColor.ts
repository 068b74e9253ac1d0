/**
 * NO_COLOR (https://no-color.org): when the environment variable is set and not empty, the dashboard writes no ANSI
 * colour codes. ink colours through chalk, which does not read NO_COLOR, so the dashboard's output stream is
 * filtered instead: every SGR sequence loses its colour parameters (foreground, background and underline colours:
 * 30–39, 40–49, 90–97, 100–107, 38/48/58 with their 5;n or 2;r;g;b), keeping the rest (bold, dim, inverse, reset),
 * which carry meaning without colour (the greyed-out keys, the title bar). The dashboard's panels are readable
 * without colour by design: digits on the edge map, `o`/`x` marks on the learning curve, role letters on the
 * voltages.
 */

/** Is colour turned off by NO_COLOR (set and not empty)? */
export function noColorRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.NO_COLOR;
  return v !== undefined && v !== '';
}

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[([0-9;:]*)m/g;

function isColor(p: number): boolean {
  return (p >= 30 && p <= 39) || (p >= 40 && p <= 49) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107) || p === 59;
}

/** `text` with the colour parameters of its SGR sequences removed (pure; see the file comment). */
export function stripColor(text: string): string {
  return text.replace(SGR, (all, params: string) => {
    if (params === '') return all; // ESC[m: a reset
    const ps = params.split(';');
    const kept: string[] = [];
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (p.includes(':')) {
        // colon form, e.g. 38:5:196 or 4:3 (curly underline): a colour when it starts with 38, 48 or 58
        if (!/^(38|48|58):/.test(p)) kept.push(p);
        continue;
      }
      const n = Number(p === '' ? 0 : p);
      if (n === 38 || n === 48 || n === 58) {
        const mode = ps[i + 1];
        i += mode === '5' ? 2 : mode === '2' ? 4 : 1;
        continue;
      }
      if (!isColor(n)) kept.push(p);
    }
    return kept.length ? `\u001b[${kept.join(';')}m` : '';
  });
}

/**
 * `stream` with its writes passed through {@link stripColor}; everything else (columns, rows, isTTY, 'resize'
 * events) is the stream's own.
 */
export function withoutColor<T extends NodeJS.WritableStream>(stream: T): T {
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const out = typeof chunk === 'string' ? stripColor(chunk) : Buffer.isBuffer(chunk) ? stripColor(chunk.toString('utf8')) : chunk;
    return (stream.write as (c: unknown, ...r: unknown[]) => boolean).call(stream, out, ...rest);
  };
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') return write;
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

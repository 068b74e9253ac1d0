/** Issue 15 point 6: NO_COLOR (set and not empty) removes the colour codes from the dashboard's output, and only them. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { noColorRequested, stripColor, withoutColor } from '../../src/tui/noColor.js';

const E = '\u001b[';

describe('NO_COLOR', () => {
  it('is requested when set and not empty (no-color.org)', () => {
    expect(noColorRequested({ NO_COLOR: '1' })).toBe(true);
    expect(noColorRequested({ NO_COLOR: 'false' })).toBe(true);
    expect(noColorRequested({ NO_COLOR: '' })).toBe(false);
    expect(noColorRequested({})).toBe(false);
  });

  it('strips foreground, background and extended colours, keeps bold, dim, inverse and resets', () => {
    expect(stripColor(`${E}31mred${E}39m`)).toBe('red');
    expect(stripColor(`${E}1;32mbold green${E}22;39m`)).toBe(`${E}1mbold green${E}22m`);
    expect(stripColor(`${E}38;5;196mx${E}48;2;1;2;3my${E}0m`)).toBe(`xy${E}0m`);
    expect(stripColor(`${E}7m title ${E}27m ${E}2mdim${E}22m ${E}m`)).toBe(`${E}7m title ${E}27m ${E}2mdim${E}22m ${E}m`);
    expect(stripColor(`${E}94;100mbright${E}38:5:12m.`)).toBe('bright.');
    // cursor movement and other sequences are not SGR: untouched
    expect(stripColor(`${E}2K${E}1A${E}?25l`)).toBe(`${E}2K${E}1A${E}?25l`);
  });

  it('wraps a stream: writes filtered, the rest (size, events) the stream\'s own', () => {
    const s = Object.assign(new PassThrough(), { columns: 91, rows: 33, isTTY: true });
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    const w = withoutColor(s);
    let resized = 0;
    w.on('resize', () => resized++);
    s.emit('resize');
    expect(resized).toBe(1);
    expect([w.columns, w.rows, w.isTTY]).toEqual([91, 33, true]);
    w.write(`${E}33mwarn${E}39m\n`);
    s.end();
    return new Promise<void>((res) =>
      s.on('end', () => {
        expect(out).toBe('warn\n');
        res();
      }),
    );
  });
});

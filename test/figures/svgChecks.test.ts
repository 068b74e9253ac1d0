/**
 * The figure checks themselves (svgChecks.ts, figureChecks.ts) fail on what they are meant to catch, so that a
 * passing figure test means something.
 */
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { checkPaperFigure, checkPng } from './figureChecks.js';
import { decodePng, layoutProblems, parseSvg, unitOf } from './svgChecks.js';

const doc = (body: string, w = 326, h = 200): string => `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-size="10">${body}</svg>`;

/** A PNG of one colour (RGB, filter 0 rows) written from the format, to feed the decoder. */
function flatPng(w: number, h: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rows.set(rgb, y * (1 + 3 * w) + 1 + 3 * x);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

describe('the figure checks', () => {
  it('find overlapping text, text off the canvas, and rotated labels running into tick labels', () => {
    expect(layoutProblems(parseSvg(doc('<text x="10" y="20">hello world</text><text x="30" y="22">again</text>')))).toHaveLength(1);
    expect(layoutProblems(parseSvg(doc('<text x="10" y="20">hello</text><text x="10" y="40">again</text>')))).toEqual([]);
    expect(layoutProblems(parseSvg(doc('<text x="300" y="20">a long label at the edge</text>')))[0]).toContain('outside');
    const rotated = '<text x="20" y="100" text-anchor="middle" transform="rotate(-90 20 100)">eigenvalue (S)</text>';
    expect(layoutProblems(parseSvg(doc(rotated + '<text x="60" y="100" text-anchor="end">0.01</text>')))).toHaveLength(0);
    expect(layoutProblems(parseSvg(doc(rotated + '<text x="16" y="100">0.01</text>')))).toHaveLength(1);
  });

  it('want units, captions and names', () => {
    expect(unitOf('eigenvalue')).toBeUndefined();
    expect(unitOf('eigenvalue (S)')).toBe('S');
    expect(unitOf('index (1 = softest)')).toBeUndefined();
    const noUnit = doc('<g class="axes"><text class="x-label" x="100" y="190">step</text><text class="y-label" x="10" y="100">cost (V^2)</text></g>');
    expect(() => checkPaperFigure(noUnit, [])).toThrow();
    const bar = doc('<g class="colorbar"><text class="caption" x="10" y="20">edges</text><text x="10" y="50">0</text></g>');
    expect(() => checkPaperFigure(bar, [])).toThrow();
    const roundoff = doc('<g class="colorbar"><text class="caption" x="10" y="20">f (S)</text><text x="10" y="50">1.9e-34</text><text x="100" y="50">0.3</text></g>');
    expect(() => checkPaperFigure(roundoff, [])).toThrow();
    const named = doc('<text class="title" x="100" y="20">T</text><text class="context" x="100" y="40">network: a</text>');
    expect(() => checkPaperFigure(named, ['a'])).not.toThrow();
    expect(() => checkPaperFigure(named, ['a', 'run.jsonl'])).toThrow();
    expect(() => checkPaperFigure(doc('', 640), [])).toThrow(); // not one column wide
  });

  it('decode a PNG and call a one-colour image blank', () => {
    const white = flatPng(1019, 625, [255, 255, 255]);
    const img = decodePng(white);
    expect([img.width, img.height]).toEqual([1019, 625]);
    expect(img.rgba.slice(0, 4)).toEqual(new Uint8Array([255, 255, 255, 255]));
    const svg = doc('', 326, 200);
    expect(() => checkPng(white, svg)).toThrow();
    expect(() => checkPng(flatPng(1019, 625, [0, 0, 0]), doc('', 326, 300))).toThrow(); // wrong size
    expect(() => decodePng(Buffer.from('not a png'))).toThrow();
  });
});

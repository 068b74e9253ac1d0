/**
 * The checks every figure clln writes must pass (issue 15, point 5), shared by the report's and diagnose's tests.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { svgToPng } from '../../src/diagnostics/figures/png.js';
import { all, byClass, decodePng, inherited, layoutProblems, parseSvg, unitOf, type Node } from './svgChecks.js';

/** 3.4 in at 96 px per inch: one journal column. */
export const COLUMN_PX = 326;

/**
 * A figure fit for a paper: one column wide; no text below 6.75 pt (9 px); every axis labelled with a unit; every
 * colour bar captioned with a quantity and unit; the title block names each of `names` (network, task, run); no two
 * text boxes overlap and none leaves the canvas.
 */
export function checkPaperFigure(svg: string, names: string[]): Node {
  const root = parseSvg(svg);
  expect(Number(root.attrs.width)).toBe(COLUMN_PX);
  for (const t of all(root, (n) => n.name === 'text')) expect(Number(inherited(t, 'font-size')), t.text).toBeGreaterThanOrEqual(9);
  for (const ax of byClass(root, 'axes')) {
    for (const cls of ['x-label', 'y-label']) {
      const label = byClass(ax, cls);
      expect(label, `${cls} of an axis`).toHaveLength(1);
      expect(unitOf(label[0].text), `unit of ${JSON.stringify(label[0].text)}`).toBeDefined();
    }
  }
  for (const bar of byClass(root, 'colorbar')) {
    const cap = byClass(bar, 'caption');
    expect(cap).toHaveLength(1);
    expect(unitOf(cap[0].text), `unit of ${JSON.stringify(cap[0].text)}`).toBeDefined();
    // tick labels: a number each, no roundoff printed as a value (|v| below 1e-12 of the largest is written 0)
    const ticks = bar.children.filter((c) => c.name === 'text' && c.attrs.class !== 'caption').map((c) => Number(c.text));
    expect(ticks.length).toBeGreaterThan(0);
    const big = Math.max(...ticks.map(Math.abs));
    for (const v of ticks) expect(v === 0 || Math.abs(v) > 1e-12 * big, `tick ${v}`).toBe(true);
  }
  const head = [...byClass(root, 'title'), ...byClass(root, 'context')].map((n) => n.text).join(' ');
  for (const name of names) expect(head, `title block names ${name}`).toContain(name);
  expect(layoutProblems(root)).toEqual([]);
  return root;
}

/**
 * The figure's PNG (as written by --png, or rendered here from the SVG): a valid PNG at 300 dpi of the figure's
 * size, not blank: at least 1 % of its pixels are not the white background, and some are dark (text and lines).
 */
export function checkPng(png: Buffer, svg: string): void {
  const root = parseSvg(svg);
  const img = decodePng(png);
  expect(Math.abs(img.width - (Number(root.attrs.width) * 300) / 96)).toBeLessThanOrEqual(1);
  expect(Math.abs(img.height - (Number(root.attrs.height) * 300) / 96)).toBeLessThanOrEqual(1);
  let ink = 0;
  let dark = 0;
  for (let p = 0; p < img.width * img.height; p++) {
    const [r, g, b] = [img.rgba[4 * p], img.rgba[4 * p + 1], img.rgba[4 * p + 2]];
    if (r < 250 || g < 250 || b < 250) ink++;
    if (r + g + b < 200) dark++;
  }
  expect(ink / (img.width * img.height)).toBeGreaterThan(0.01);
  expect(dark).toBeGreaterThan(100);
}

/** checkPng of a file written beside its SVG. */
export function checkPngFile(pngPath: string, svgPath: string): void {
  checkPng(readFileSync(pngPath), readFileSync(svgPath, 'utf8'));
}

/** checkPng of an SVG rendered here. */
export function checkRendered(svg: string): void {
  checkPng(svgToPng(svg).png, svg);
}

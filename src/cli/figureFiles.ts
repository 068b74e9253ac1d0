import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { svgToPng } from '../diagnostics/figures/png.js';

/** A figure to write: its file name without extension and its SVG text. */
export interface NamedFigure {
  name: string;
  svg: string;
}

/**
 * Write each figure as DIR/NAME.svg and, with `png`, DIR/NAME.png beside it (300 dpi, figures/png.ts), creating DIR.
 * The one writer of figure files for `clln diagnose`, `clln report` and `clln ensemble stats`.
 * @returns the paths written, in order (each SVG followed by its PNG)
 */
export function writeFigureFiles(dir: string, figures: Iterable<NamedFigure>, png: boolean): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const { name, svg } of figures) {
    const f = join(dir, `${name}.svg`);
    writeFileSync(f, svg);
    written.push(f);
    if (png) {
      const g = join(dir, `${name}.png`);
      writeFileSync(g, svgToPng(svg).png);
      written.push(g);
    }
  }
  return written;
}

/**
 * SVG figures as PNG (`--png`), for slides and notebooks: rasterised by resvg (npm `@resvg/resvg-js`, whose
 * prebuilt binary for the platform ships inside an npm package), at {@link PNG_DPI} dots per inch of the figure's
 * printed size (its px are CSS px, 1/96 in: a 326 px column figure becomes 1019 pixels wide). Text is drawn with the
 * system's fonts (Helvetica, Arial or any sans-serif installed, e.g. DejaVu Sans).
 */
import { createRequire } from 'node:module';
import { PX_PER_INCH } from './svgDocument.js';

/** Resolution of the PNG files, dots per inch of the printed figure (print quality). */
export const PNG_DPI = 300;

interface ResvgModule {
  Resvg: new (svg: string, opts: object) => { render(): { asPng(): Buffer; width: number; height: number } };
}

const require = createRequire(import.meta.url);
let resvg: ResvgModule | undefined;

/** The rasteriser, loaded on first use (a native module: commands that write no PNG never load it). */
function rasteriser(): ResvgModule {
  resvg ??= require('@resvg/resvg-js') as ResvgModule;
  return resvg;
}

/** A PNG image of an SVG document at `dpi` (default {@link PNG_DPI}): width = round(svg width / 96 in x dpi). */
export function svgToPng(svg: string, dpi = PNG_DPI): { png: Buffer; width: number; height: number } {
  const { Resvg } = rasteriser();
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: dpi / PX_PER_INCH },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  const img = r.render();
  return { png: img.asPng(), width: img.width, height: img.height };
}

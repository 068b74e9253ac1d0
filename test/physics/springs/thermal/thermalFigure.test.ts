import { describe, expect, it } from 'vitest';
import { thermalFigure } from '../../../../src/diagnostics/figures/thermalFigure.js';
import { svgToPng } from '../../../../src/diagnostics/figures/png.js';
import { symmetricEigen } from '../../../../src/diagnostics/symmetricEigen.js';
import { logTemperatureGrid, thermalAnalysis } from '../../../../src/physics/springs/thermal/harmonicThermal.js';
import { langevinPatch, springNet } from './springPatch.js';

const task = { source: [6, 18] as [number, number], target: [13, 25] as [number, number], sourceStrain: 0.3, delta: 0, cooperative: false, lambda: 0 };

/** The numbers of a path's `d`, pairwise as points. */
function points(d: string): [number, number][] {
  const nums = d.match(/-?[0-9.]+(e-?[0-9]+)?/g)!.map(Number);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < nums.length; i += 2) out.push([nums[i], nums[i + 1]]);
  return out;
}

describe('thermalFigure: strain vs T with both bands and T*', () => {
  it('draws the bands, the mean and T* at the right place on the log axis, and renders', () => {
    const d = thermalAnalysis(langevinPatch(), task, { eigen: symmetricEigen, temperatures: logTemperatureGrid(1e-4, 10) }).directions[0];
    const svg = thermalFigure(d, { context: { network: 'patch', task: 'A -> B' } });
    expect(svg.startsWith('<?xml')).toBe(true);
    for (const cls of ['band-with', 'band-without', 'mean-with', 'mean-without', 'crossover']) expect(svg).toContain(`class="${cls}"`);
    expect(svg).toContain(`data-temperature="${d.crossover}"`);
    // T* between its grid neighbours in px: x is linear in log10 T
    const frame = /class="frame" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"/.exec(svg)!;
    const [x0, w] = [Number(frame[1]), Number(frame[2])];
    const line = /class="crossover"[^>]*><line x1="([0-9.]+)"/.exec(svg)!;
    const expected = x0 + (w * (Math.log10(d.crossover) + 4)) / 5; // axis 1e-4 .. 10
    expect(Math.abs(Number(line[1]) - expected)).toBeLessThan(0.02);
    // the with-input band is symmetric about the mean line: upper and lower edges equidistant in px at every T
    const band = points(/class="band-with" d="([^"]+)"/.exec(svg)![1]);
    const n = band.length / 2;
    const mean = points(/class="mean-with" d="([^"]+)"/.exec(svg)![1]);
    expect(mean.length).toBe(n);
    for (let i = 0; i < n; i++) {
      const up = band[i][1];
      const lo = band[2 * n - 1 - i][1];
      expect(Math.abs((up + lo) / 2 - mean[i][1])).toBeLessThan(0.02);
    }
    const png = svgToPng(svg, 96);
    expect(png.width).toBe(326);
  });

  it('a floppy target: the band without input fills the frame and the note says why, no T* line', () => {
    const net = springNet('square', 2, [[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 1], [1, 2], [2, 3], [3, 0]]);
    const d = thermalAnalysis(net, { ...task, source: [0, 2], target: [1, 3] }, { eigen: symmetricEigen, temperatures: [1e-3, 1e-2, 1e-1] }).directions[0];
    const svg = thermalFigure(d);
    expect(svg).toContain('floppy modes');
    expect(svg).not.toContain('class="crossover"');
    expect(svg).not.toMatch(/NaN|Infinity/);
    svgToPng(svg, 96);
  });
});

/**
 * The edges panel: the edge settings as a heat map drawn on the network's layout (edgeMap.ts): nodes where the
 * layout puts them, each edge a line between its nodes coloured on the heat scale, with a digit in its middle for
 * the setting's tenth of its range (0 low … 9 high, legible without colour). Edges that would cross a node are drawn
 * as stubs (wrap-around edges of a periodic lattice leave one border and come back at the other).
 *
 * When the layout does not fit the panel (or the network has more than {@link MAP_MAX_NODES} nodes), the settings
 * are shown as a strip instead, one block character per edge in edge order, wrapped to the panel's width: a
 * setting's place in its range picks both the block's height (▁ low … █ high) and its colour; when the edges do not
 * fit, each block stands for the mean of several consecutive edges, and the header says how many.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { EdgesState } from '../state/types.js';
import { edgeMap, type EdgeMap } from './edgeMap.js';
import { heatColor, heatFraction } from './heatColor.js';

/** Above this many nodes the strip is drawn rather than the layout. */
export const MAP_MAX_NODES = 200;

/** Node count of the edges' network: the positions', else one more than the largest node index. */
export function edgeNodes(e: EdgesState): number {
  if (e.positions) return Math.floor(e.positions.length / 2);
  let n = 0;
  for (let i = 0; i < e.edgeA.length; i++) n = Math.max(n, e.edgeA[i] + 1, e.edgeB[i] + 1);
  return n;
}

/** The layout map in `width` x `height` characters, or null (strip). */
function mapOf(e: EdgesState, width: number, height: number): EdgeMap | null {
  const nodes = edgeNodes(e);
  if (nodes === 0 || nodes > MAP_MAX_NODES) return null;
  return edgeMap({ nodes, positions: e.positions ?? null, edgeA: e.edgeA, edgeB: e.edgeB, settings: e.settings, range: e.range }, width, height);
}

export interface EdgesPanelProps {
  edges: EdgesState;
  width: number;
  /** Lines available; the panel never draws more. */
  height: number;
}

/** The eight block heights, low to high. */
export const EDGE_BLOCKS = '▁▂▃▄▅▆▇█';

/** The block for a setting `s` in [lo, hi]. */
export function edgeBlock(s: number, lo: number, hi: number): string {
  const f = heatFraction(s, lo, hi);
  return EDGE_BLOCKS[Math.min(EDGE_BLOCKS.length - 1, Math.floor(f * EDGE_BLOCKS.length))];
}

function edgeCount(e: EdgesState): number {
  return e.settings ? e.settings.length : e.edgeA.length;
}

/** Lines of the strip at `width`: header and one line per `width` edges. */
function stripHeight(e: EdgesState, width: number): number {
  return 1 + Math.max(1, Math.ceil(edgeCount(e) / Math.max(1, width)));
}

/**
 * Lines the panel would like at `width`: `full`, the header and the layout at its widest spacing; `compact`, at its
 * tightest (the strip's when the layout does not fit at all).
 */
export function edgesPanelHeights(e: EdgesState, width: number): { full: number; compact: number } {
  const full = mapOf(e, width, 1000);
  if (!full) return { full: stripHeight(e, width), compact: stripHeight(e, width) };
  let compact = full.height;
  for (let h = full.height - 1; h >= 1; h--) {
    const m = mapOf(e, width, h);
    if (!m) break;
    compact = m.height;
  }
  return { full: 1 + full.height, compact: 1 + compact };
}

/** Lines the panel would like at `width` (the layout at its widest spacing, or the strip). */
export function edgesPanelHeight(e: EdgesState, width: number): number {
  return edgesPanelHeights(e, width).full;
}

function formatSetting(x: number, kind: EdgesState['kind']): string {
  return kind === 'tap' ? String(Math.round(x)) : x.toFixed(2);
}

/** The edges panel. */
export function EdgesPanel({ edges: e, width, height }: EdgesPanelProps): ReactNode {
  const h = Math.max(0, height);
  const w = Math.max(1, width);
  const [lo, hi] = e.range;
  const n = edgeCount(e);
  const map = h >= 2 ? mapOf(e, w, h - 1) : null;
  if (map) return <EdgeMapView e={e} map={map} width={width} height={h} />;
  const rows = Math.max(1, h - 1);
  const per = Math.max(1, Math.ceil(n / (w * rows)));
  const unit = e.kind === 'tap' ? 'taps' : 'V gate';
  const head = (
    <Text key="head" wrap="truncate-end">
      <Text bold color="cyan">
        Edges
      </Text>
      {`  ${n} ${unit} ${formatSetting(lo, e.kind)}…${formatSetting(hi, e.kind)}`}
      {'  '}
      <Text color={heatColor(lo, lo, hi)}>{EDGE_BLOCKS[0]}</Text> low{' '}
      <Text color={heatColor(hi, lo, hi)}>{EDGE_BLOCKS[EDGE_BLOCKS.length - 1]}</Text> high
      {per > 1 ? `  (each block: mean of ${per})` : ''}
      {'  in edge order (no room for the layout)'}
    </Text>
  );
  const lines: ReactNode[] = [head];
  const s = e.settings;
  if (!s) {
    lines.push(
      <Text key="wait" dimColor wrap="truncate-end">
        settings not read yet
      </Text>,
    );
  } else {
    const blocks: { ch: string; color: string }[] = [];
    for (let i = 0; i < s.length; i += per) {
      let sum = 0;
      const end = Math.min(s.length, i + per);
      for (let j = i; j < end; j++) sum += s[j];
      const m = sum / (end - i);
      blocks.push({ ch: edgeBlock(m, lo, hi), color: heatColor(m, lo, hi) });
    }
    for (let start = 0; start < blocks.length; start += w) {
      const line = blocks.slice(start, start + w);
      // runs of one colour, so that a line is a handful of elements rather than one per edge
      const runs: ReactNode[] = [];
      let k = 0;
      while (k < line.length) {
        let j = k;
        let text = '';
        while (j < line.length && line[j].color === line[k].color) text += line[j++].ch;
        runs.push(
          <Text key={k} color={line[k].color}>
            {text}
          </Text>,
        );
        k = j;
      }
      lines.push(<Text key={`r${start}`}>{runs}</Text>);
    }
  }
  return (
    <Box flexDirection="column" width={width} height={h} overflow="hidden">
      {lines.slice(0, h)}
    </Box>
  );
}

/** The header's scale: the setting range and what the digits and colours mean. */
function MapHead({ e, stubs }: { e: EdgesState; stubs: number }): ReactNode {
  const [lo, hi] = e.range;
  const unit = e.kind === 'tap' ? 'taps' : 'V gate';
  return (
    <Text wrap="truncate-end">
      <Text bold color="cyan">
        Edges
      </Text>
      {`  ${edgeCount(e)} ${unit} ${formatSetting(lo, e.kind)}…${formatSetting(hi, e.kind)}; digit: tenth of range `}
      <Text color={heatColor(lo, lo, hi)}>0</Text> low…<Text color={heatColor(hi, lo, hi)}>9</Text> high
      {stubs > 0 ? '; border stubs wrap around' : ''}
    </Text>
  );
}

/** A run of characters drawn alike. */
export interface MapRun {
  text: string;
  /** Heat colour of the edge the characters belong to (undefined: none, e.g. node labels, blanks, no settings). */
  color: string | undefined;
  /** Node labels are bold. */
  bold: boolean;
}

/** The map's lines as runs of one colour (pure): each edge's characters in its setting's heat colour. */
export function edgeMapRuns(e: EdgesState, map: EdgeMap): MapRun[][] {
  const [lo, hi] = e.range;
  const colorOf = (edge: number): string | undefined => (edge < 0 || !e.settings ? undefined : heatColor(e.settings[edge], lo, hi));
  return map.cells.map((row) => {
    const runs: MapRun[] = [];
    for (const c of row) {
      const color = colorOf(c.edge);
      const bold = c.edge < 0 && c.ch !== ' ';
      const last = runs[runs.length - 1];
      if (last && last.color === color && last.bold === bold) last.text += c.ch;
      else runs.push({ text: c.ch, color, bold });
    }
    return runs;
  });
}

/** The layout map, each edge's characters in its heat colour, node numbers bold. */
function EdgeMapView({ e, map, width, height }: { e: EdgesState; map: EdgeMap; width: number; height: number }): ReactNode {
  const lines: ReactNode[] = [<MapHead key="head" e={e} stubs={map.stubs} />];
  edgeMapRuns(e, map).forEach((runs, r) => {
    lines.push(
      <Text key={`m${r}`} wrap="truncate-end">
        {runs.map((run, k) => (
          <Text key={k} color={run.color} bold={run.bold}>
            {run.text}
          </Text>
        ))}
      </Text>,
    );
  });
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {lines.slice(0, height)}
    </Box>
  );
}

/**
 * The edges panel: the edge settings as a heat map, one block character per edge in edge order, wrapped to the
 * panel's width. A setting's place in its range picks both the block's height (▁ low … █ high, legible without
 * colour) and its colour on the heat scale. When the edges do not fit the panel, each block stands for the mean of
 * several consecutive edges, and the header says how many.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { EdgesState } from '../state/types.js';
import { heatColor, heatFraction } from './heatColor.js';

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

/** Lines the panel would like at `width`: header and one line per `width` edges. */
export function edgesPanelHeight(e: EdgesState, width: number): number {
  return 1 + Math.max(1, Math.ceil(edgeCount(e) / Math.max(1, width)));
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

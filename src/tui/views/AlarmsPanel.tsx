/**
 * The alarms panel: how many consistency-check alarms the run has raised, and the latest alarms and warnings,
 * newest first, one line each, truncated to the width.
 */
import { Box, Text } from 'ink';
import { formatSig } from '../../formatNumber.js';
import type { ReactNode } from 'react';
import type { AlarmsState } from '../state/types.js';

/** A residual as a fraction of its threshold: two decimals, or significant digits when far above it (a broken run). */
function level(x: number): string {
  return Number.isFinite(x) && Math.abs(x) < 100 ? x.toFixed(2) : formatSig(x, 2);
}

export interface AlarmsPanelProps {
  alarms: AlarmsState;
  width: number;
  /** Lines available; the panel never draws more. */
  height: number;
}

/** Lines the panel would like: header and every recent entry (at least one line for "none"). */
export function alarmsPanelHeight(a: AlarmsState): number {
  return 1 + Math.max(1, a.recent.length);
}

/** Text on one line: line breaks and tabs become spaces (a line break would overflow the panel's height). */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ');
}

/** The alarms panel. */
export function AlarmsPanel({ alarms: a, width, height }: AlarmsPanelProps): ReactNode {
  const h = Math.max(0, height);
  const warnings = a.recent.filter((r) => r.kind === 'warning').length;
  const lines: ReactNode[] = [
    <Text key="head" wrap="truncate-end">
      <Text bold color="cyan">
        Alarms
      </Text>{' '}
      <Text bold color={a.count > 0 ? 'red' : 'green'}>
        {a.count}
      </Text>
      {warnings > 0 ? `  (${warnings} recent warning${warnings === 1 ? '' : 's'})` : ''}
      {a.residual ? (
        <Text>
          {'  residuals '}
          <Text color={a.residual.voltage > 1 ? 'red' : a.residual.voltage > 0.5 ? 'yellow' : 'green'}>V {level(a.residual.voltage)}</Text>
          {' '}
          <Text color={a.residual.current > 1 ? 'red' : a.residual.current > 0.5 ? 'yellow' : 'green'}>I {level(a.residual.current)}</Text>
          <Text dimColor>{` of threshold (#${a.residual.step})`}</Text>
        </Text>
      ) : null}
    </Text>,
  ];
  if (a.recent.length === 0)
    lines.push(
      <Text key="none" dimColor wrap="truncate-end">
        none
      </Text>,
    );
  const newestFirst = [...a.recent].reverse();
  newestFirst.forEach((r, i) =>
    lines.push(
      <Text key={i} wrap="truncate-end">
        <Text color={r.kind === 'alarm' ? 'red' : 'yellow'} bold>
          {r.kind === 'alarm' ? 'ALARM' : 'warn '}
        </Text>{' '}
        <Text dimColor>#{r.step}</Text> {oneLine(r.message)}
      </Text>,
    ),
  );
  return (
    <Box flexDirection="column" width={width} height={h} overflow="hidden">
      {lines.slice(0, h)}
    </Box>
  );
}

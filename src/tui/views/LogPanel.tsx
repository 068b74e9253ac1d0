/**
 * The log panel: the last log lines that fit (newest at the bottom), warnings yellow and errors red, each line
 * truncated to the width.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { LogState } from '../state/types.js';

export interface LogPanelProps {
  log: LogState;
  width: number;
  /** Lines available, the header included; the panel never draws more. */
  height: number;
}

const LEVEL_COLOR = { info: undefined, warn: 'yellow', error: 'red' } as const;

/** Lines the panel would like: header and every line it holds (at least one). */
export function logPanelHeight(l: LogState): number {
  return 1 + Math.max(1, l.lines.length);
}

/** Text on one line: line breaks and tabs become spaces (a line break would overflow the panel's height). */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ');
}

/** The log panel. */
export function LogPanel({ log, width, height }: LogPanelProps): ReactNode {
  const h = Math.max(0, height);
  const room = Math.max(0, h - 1);
  const shown = room > 0 ? log.lines.slice(-room) : [];
  return (
    <Box flexDirection="column" width={width} height={h} overflow="hidden">
      {h > 0 && (
        <Text bold color="cyan" wrap="truncate-end">
          Log
        </Text>
      )}
      {shown.length === 0 && room > 0 && <Text dimColor>nothing yet</Text>}
      {shown.map((l, i) => (
        <Text key={i} color={LEVEL_COLOR[l.level]} wrap="truncate-end">
          {l.level === 'info' ? '' : `${l.level}: `}
          {oneLine(l.text)}
        </Text>
      ))}
    </Box>
  );
}

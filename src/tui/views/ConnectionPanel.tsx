/**
 * The connection panel: where the board is, what it is (model, uid, firmware, protocol, nodes and edges), the state
 * of the link (green connected, yellow reconnecting with the countdown to the next attempt, red disconnected with
 * the reason) and the link statistics (round-trip time, retries, CRC errors, resets, reconnects).
 *
 * Lines, most important first, so that a short panel keeps what matters: link state and port; the reason the link
 * is down (only then); identity; statistics.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { retryCountdown } from '../state/countdown.js';
import type { ConnectionState } from '../state/types.js';

export interface ConnectionPanelProps {
  connection: ConnectionState;
  /** Current time (ms, the clock of the state's `retryAt`), for the retry countdown. */
  now: number;
  width: number;
  /** Lines available; the panel never draws more. */
  height: number;
}

/** Lines the panel would like: 3, or 4 when the link is down and there is a reason to show. */
export function connectionPanelHeight(c: ConnectionState): number {
  return hasReason(c) ? 4 : 3;
}

function hasReason(c: ConnectionState): boolean {
  return (c.link === 'disconnected' || c.link === 'reconnecting') && !!c.reason;
}

const LINK_COLOR: Record<ConnectionState['link'], string> = {
  connected: 'green',
  connecting: 'yellow',
  reconnecting: 'yellow',
  disconnected: 'red',
};

/** The link state in words, with the countdown while reconnecting. */
export function linkText(c: ConnectionState, now: number): string {
  if (c.link !== 'reconnecting') return c.link === 'connecting' ? 'connecting…' : c.link;
  const secs = retryCountdown(c, now);
  const attempt = c.attempt !== null ? ` (attempt ${c.attempt})` : '';
  return secs === null ? `reconnecting${attempt}` : `reconnecting, retry in ${secs}s${attempt}`;
}

function identityText(c: ConnectionState): string {
  const id = c.identity;
  if (!id) return 'board: not identified yet';
  return `${id.model}  uid ${id.uid}  fw ${id.firmware}  protocol ${id.protocol}  ${id.nodes} nodes  ${id.edges} edges`;
}

function statsText(c: ConnectionState): string {
  const s = c.stats;
  const rtt = s.rttMs === null ? 'rtt -' : `rtt ${s.rttMs < 10 ? s.rttMs.toFixed(1) : Math.round(s.rttMs)} ms`;
  return `${rtt}  retries ${s.retries}  crc ${s.crcErrors}  resets ${s.resets}  reconnects ${s.reconnects}`;
}

/** The connection panel. */
export function ConnectionPanel({ connection: c, now, width, height }: ConnectionPanelProps): ReactNode {
  const lines: ReactNode[] = [
    <Text key="head" wrap="truncate-end">
      <Text bold color="cyan">
        Connection
      </Text>{' '}
      <Text color={LINK_COLOR[c.link]} bold>
        ● {linkText(c, now)}
      </Text>
      {'  '}
      {c.port}
    </Text>,
  ];
  if (hasReason(c))
    lines.push(
      <Text key="reason" color={LINK_COLOR[c.link]} wrap="truncate-end">
        reason: {c.reason}
      </Text>,
    );
  lines.push(
    <Text key="id" wrap="truncate-end">
      {identityText(c)}
    </Text>,
  );
  const s = c.stats;
  const bad = s.retries + s.crcErrors + s.resets + s.reconnects > 0;
  lines.push(
    <Text key="stats" wrap="truncate-end" color={bad ? 'yellow' : undefined}>
      {statsText(c)}
    </Text>,
  );
  const h = Math.max(0, height);
  return (
    <Box flexDirection="column" width={width} height={h} overflow="hidden">
      {lines.slice(0, h)}
    </Box>
  );
}

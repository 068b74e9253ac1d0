/**
 * The eigenvalue panel: the lowest eigenvalues of the physical Hessian, each with a bar on a log scale (from a
 * decade below the smallest to the largest eigenvalue), the largest one, when they were computed (step, age),
 * and whether a computation is under way or failed. Eigenvalues that are not positive get no bar and show red.
 * When the panel is short, the largest eigenvalue and the smallest ones are kept.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { EigenState } from '../state/types.js';

export interface EigenPanelProps {
  eigen: EigenState;
  /** Current time (ms, the clock of `eigen.at`), for the age; omit to leave it out. */
  now?: number;
  width: number;
  /** Lines available; the panel never draws more. */
  height: number;
}

/** Lines the panel would like: header, error, one per eigenvalue (or a placeholder), the largest. */
export function eigenPanelHeight(e: EigenState): number {
  return 1 + (e.error ? 1 : 0) + Math.max(1, e.values?.length ?? 0) + (e.highest !== null ? 1 : 0);
}

function formatSci(v: number): string {
  return Number.isFinite(v) ? v.toExponential(2).replace('e+', 'e') : '-';
}

const PARTIAL = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar `fraction` (0..1) of `width` characters long, in eighths. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + PARTIAL[eighths % 8];
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** The eigenvalue panel. */
export function EigenPanel({ eigen: e, now, width, height }: EigenPanelProps): ReactNode {
  const h = Math.max(0, height);
  const when = [e.step !== null ? `step ${e.step}` : '', e.at !== null && now !== undefined ? age(now - e.at) : '']
    .filter(Boolean)
    .join(', ');
  const head = (
    <Text key="head" wrap="truncate-end">
      <Text bold color="cyan">
        Hessian eigenvalues
      </Text>{' '}
      (S){when ? `  ${when}` : ''}
      {e.computing ? (
        <Text color="yellow">{'  '}computing…</Text>
      ) : null}
    </Text>
  );
  const lines: ReactNode[] = [head];
  if (e.error)
    lines.push(
      <Text key="err" color="red" wrap="truncate-end">
        error: {e.error.replace(/[\r\n\t]+/g, ' ')}
      </Text>,
    );
  const values = e.values ?? [];
  const positive = [...values, ...(e.highest !== null ? [e.highest] : [])].filter((v) => v > 0 && Number.isFinite(v));
  const logHi = positive.length ? Math.log10(Math.max(...positive)) : 0;
  const logLo = positive.length ? Math.log10(Math.min(...positive)) - 1 : -1;
  const labelW = Math.max(4, `λ${values.length}`.length);
  const barW = Math.max(0, width - labelW - 1 - 9 - 1);
  const row = (key: string, label: string, v: number): ReactNode => {
    const ok = v > 0 && Number.isFinite(v);
    const f = ok && logHi > logLo ? (Math.log10(v) - logLo) / (logHi - logLo) : 0;
    return (
      <Text key={key} wrap="truncate-end">
        {label.padEnd(labelW)} <Text color={ok ? undefined : 'red'}>{formatSci(v).padStart(9)}</Text>{' '}
        <Text color="magenta">{ok ? bar(f, barW) : ''}</Text>
      </Text>
    );
  };
  const largest = e.highest !== null ? [row('max', 'λmax', e.highest)] : [];
  if (values.length === 0)
    lines.push(
      <Text key="none" dimColor wrap="truncate-end">
        {e.computing ? 'computing…' : 'not computed yet (d: diagnostics)'}
      </Text>,
    );
  const room = Math.max(1, h - lines.length - largest.length);
  values.slice(0, room).forEach((v, i) => lines.push(row(`v${i}`, `λ${i + 1}`, v)));
  lines.push(...largest);
  return (
    <Box flexDirection="column" width={width} height={h} overflow="hidden">
      {lines.slice(0, h)}
    </Box>
  );
}

/**
 * The footer: the keys (greyed when they do not apply in the run's state, by the same rules the key hooks decide
 * with), the run's state, its progress and speed; while a quit waits for confirmation, the question instead of the
 * keys. One line when everything fits the width, else two (status above the keys): see {@link footerHeight}.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { RunState } from '../../pipeline/runControl.js';
import {
  canAbort,
  canCalibrate,
  canPauseResume,
  canStep,
  actionsEnabled,
  spaceResumes,
} from '../input/useDashboardKeys.js';
import type { RunPanelState } from '../state/types.js';

export interface FooterProps {
  run: RunPanelState;
  width: number;
}

const PROMPT = 'Quit while the run is active? y: stop the run and quit, n: keep running';
const SHORT_PROMPT = 'Quit? y: stop the run and quit, n: keep running';
const ABORT_PROMPT = 'Abort the run? y: abort now (sources 0 V, clamps released, no final evaluation), n: keep running';
const SHORT_ABORT_PROMPT = 'Abort? y: abort now, n: keep running';
const SEPARATOR = '  │  ';

interface KeyHint {
  key: string;
  /** The label, and a shorter one for narrow terminals. */
  label: string;
  short: string;
  on: boolean;
}

function keyHints(run: RunPanelState): KeyHint[] {
  const ctx = { state: run.state, confirmQuit: run.confirmQuit, confirmAbort: run.confirmAbort ?? false, busy: run.busy };
  const resumes = spaceResumes(run.state);
  return [
    { key: 'space', label: resumes ? 'resume' : 'pause', short: resumes ? 'resume' : 'pause', on: canPauseResume(run.state) },
    { key: 's', label: 'step', short: 'step', on: canStep(run.state) && run.busy === null },
    { key: 'a', label: 'abort', short: 'abort', on: canAbort(run.state) },
    { key: 'c', label: 'calibrate', short: 'calib', on: canCalibrate(ctx) },
    { key: 'd', label: 'diagnostics', short: 'diag', on: actionsEnabled(ctx) },
    { key: 'q', label: 'quit', short: 'quit', on: true },
  ];
}

/** How much of each hint to show: key and label, key and short label, key alone. */
type Tier = 'full' | 'short' | 'keys';

function hintText(h: KeyHint, tier: Tier): string {
  return tier === 'keys' ? h.key : `${h.key} ${tier === 'full' ? h.label : h.short}`;
}

function keysText(hints: KeyHint[], tier: Tier = 'full'): string {
  return hints.map((h) => hintText(h, tier)).join(tier === 'keys' ? ' ' : '  ');
}

/** The widest tier whose keys fit `width`. */
function tierFor(hints: KeyHint[], width: number): Tier {
  return keysText(hints, 'full').length <= width ? 'full' : keysText(hints, 'short').length <= width ? 'short' : 'keys';
}

function statusText(run: RunPanelState): string {
  const rate = Number.isFinite(run.rate) && run.rate > 0 ? `${run.rate.toFixed(run.rate < 10 ? 1 : 0)} steps/s` : '- steps/s';
  const busy = run.busy ? `  ${run.busy}…` : '';
  return `${run.state}  step ${run.step}/${run.steps}  ${rate}${busy}`;
}

/** Lines the footer takes at `width`: 1 when keys and status fit side by side, else 2. */
export function footerHeight(run: RunPanelState, width: number): number {
  return keysText(keyHints(run)).length + SEPARATOR.length + statusText(run).length <= width ? 1 : 2;
}

/** Colour of a run state: green running, yellow on the way to a pause or stop, red aborted/failed. */
export function runStateColor(s: RunState): string {
  switch (s) {
    case 'running':
      return 'green';
    case 'pausing':
    case 'paused':
    case 'stopping':
      return 'yellow';
    case 'aborting':
    case 'aborted':
    case 'failed':
      return 'red';
    default:
      return 'white';
  }
}

function Status({ run }: { run: RunPanelState }): ReactNode {
  const rest = statusText(run).slice(run.state.length);
  return (
    <>
      <Text color={runStateColor(run.state)} bold>
        {run.state}
      </Text>
      {rest}
    </>
  );
}

function Keys({ hints, tier }: { hints: KeyHint[]; tier: Tier }): ReactNode {
  return hints.map((h, i) => (
    <Text key={h.key} dimColor={!h.on}>
      {i > 0 ? (tier === 'keys' ? ' ' : '  ') : ''}
      <Text bold={h.on}>{h.key}</Text>
      {tier === 'keys' ? '' : ` ${tier === 'full' ? h.label : h.short}`}
    </Text>
  ));
}

/** The footer line(s). */
export function Footer({ run, width }: FooterProps): ReactNode {
  const hints = keyHints(run);
  const two = footerHeight(run, width) === 2;
  const asking = run.confirmQuit || (run.confirmAbort ?? false);
  const [long, short] = run.confirmAbort ? [ABORT_PROMPT, SHORT_ABORT_PROMPT] : [PROMPT, SHORT_PROMPT];
  const prompt = (
    <Text color="yellow" bold wrap="truncate-end">
      {long.length <= width ? long : short}
    </Text>
  );
  const status = (
    <Text wrap="truncate-end">
      <Status run={run} />
    </Text>
  );
  if (two)
    return (
      <Box flexDirection="column" width={width} height={2} overflow="hidden">
        {status}
        {asking ? (
          prompt
        ) : (
          <Text wrap="truncate-end">
            <Keys hints={hints} tier={tierFor(hints, width)} />
          </Text>
        )}
      </Box>
    );
  return (
    <Box width={width} height={1} overflow="hidden">
      {asking ? (
        prompt
      ) : (
        <Text wrap="truncate-end">
          <Keys hints={hints} tier="full" />
          {SEPARATOR}
          <Status run={run} />
        </Text>
      )}
    </Box>
  );
}

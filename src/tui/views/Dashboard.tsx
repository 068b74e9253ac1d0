/**
 * The dashboard's layout: a title line; the panels; the footer. Wide terminals (at least {@link WIDE_COLUMNS}
 * columns) get two columns — connection, voltages and edges on the left, learning curve, eigenvalues and alarms on
 * the right — above the log. Narrow ones stack the panels in one column.
 *
 * Every panel is given an exact width and height and draws no more, so the frame never wraps and never grows
 * past the terminal: the dashboard takes at most `rows - 1` lines, because Ink repaints the whole screen (and the
 * terminal flickers) once its output reaches the terminal's height. Heights are shared out by {@link allocate}:
 * optional panels are dropped (eigenvalues first, then edges) while the panels would not all get a comfortable
 * height, more panels only when even their minimum heights do not fit; then each panel gets its minimum, then its
 * comfortable height and then what it would like, most important panel first, and the learning curve the rest.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { DashboardState } from '../state/types.js';
import { AlarmsPanel, alarmsPanelHeight } from './AlarmsPanel.js';
import { ConnectionPanel, connectionPanelHeight } from './ConnectionPanel.js';
import { CurvePanel } from './CurvePanel.js';
import { EdgesPanel, edgesPanelHeights } from './EdgesPanel.js';
import { EigenPanel, eigenPanelHeight } from './EigenPanel.js';
import { Footer, footerHeight } from './Footer.js';
import { LogPanel, logPanelHeight } from './LogPanel.js';
import { VoltagesPanel, voltagesPanelHeight } from './VoltagesPanel.js';

export interface DashboardProps {
  state: DashboardState;
  /** Terminal size in characters. */
  columns: number;
  rows: number;
  /** Current time (ms, the clock of the state's times), for countdowns and ages. */
  now: number;
}

/** From this many columns on, the panels go in two columns. */
export const WIDE_COLUMNS = 100;

export type PanelId = 'connection' | 'voltages' | 'edges' | 'curve' | 'eigen' | 'alarms' | 'log';

/** A panel's claim on a column's height. */
export interface Slot {
  id: PanelId;
  /** Below this the panel is not worth drawing. */
  min: number;
  /** What it should get before optional panels are considered. */
  comfy: number;
  /** What it would like (Infinity: all that is left). */
  want: number;
  /** 1 is the most important; panels are dropped from the least important up. */
  priority: number;
  /** Dropped first, while the comfortable heights do not fit. */
  optional?: boolean;
}

/**
 * Share `avail` lines among `slots` (pure; see the file comment). Returns the height of each panel kept, in the
 * order of `slots`; the heights add up to at most `avail`.
 */
export function allocate(slots: Slot[], avail: number): { id: PanelId; height: number }[] {
  let kept = [...slots];
  const sum = (f: (s: Slot) => number): number => kept.reduce((a, s) => a + f(s), 0);
  const dropLeast = (pred: (s: Slot) => boolean): boolean => {
    const c = kept.filter(pred);
    if (c.length === 0) return false;
    const worst = c.reduce((a, b) => (b.priority > a.priority ? b : a));
    kept = kept.filter((s) => s !== worst);
    return true;
  };
  while (sum((s) => Math.min(s.comfy, s.want)) > avail && dropLeast((s) => !!s.optional));
  while (sum((s) => s.min) > avail && dropLeast(() => true));
  const h = new Map<Slot, number>(kept.map((s) => [s, s.min]));
  let left = avail - sum((s) => s.min);
  const byPriority = [...kept].sort((a, b) => a.priority - b.priority);
  for (const target of [(s: Slot) => Math.min(s.comfy, s.want), (s: Slot) => s.want]) {
    for (const s of byPriority) {
      const t = target(s);
      if (!Number.isFinite(t)) continue;
      const add = Math.max(0, Math.min(left, t - h.get(s)!));
      h.set(s, h.get(s)! + add);
      left -= add;
    }
  }
  for (const s of byPriority)
    if (!Number.isFinite(s.want)) {
      h.set(s, h.get(s)! + left);
      left = 0;
    }
  return kept.map((s) => ({ id: s.id, height: h.get(s)! }));
}

function slots(state: DashboardState, ids: PanelId[], width: number): Slot[] {
  const all: Record<PanelId, () => Slot> = {
    connection: () => ({ id: 'connection', min: 2, comfy: 4, want: connectionPanelHeight(state.connection), priority: 1 }),
    voltages: () => {
      const h = voltagesPanelHeight(state.voltages, width);
      return { id: 'voltages', min: Math.min(3, h.full), comfy: h.compact, want: h.full, priority: 2 };
    },
    curve: () => ({ id: 'curve', min: 4, comfy: 7, want: Infinity, priority: 3 }),
    alarms: () => ({ id: 'alarms', min: 2, comfy: 3, want: Math.min(alarmsPanelHeight(state.alarms), 8), priority: 4 }),
    log: () => ({ id: 'log', min: 2, comfy: 3, want: Math.min(logPanelHeight(state.log), 10), priority: 5 }),
    edges: () => {
      const h = edgesPanelHeights(state.edges, width);
      // the layout at its tightest spacing is what makes the panel worth its room; below that it is a strip
      return { id: 'edges', min: 2, comfy: h.compact, want: h.full, priority: 6, optional: true };
    },
    eigen: () => ({ id: 'eigen', min: 3, comfy: 5, want: eigenPanelHeight(state.eigen), priority: 7, optional: true }),
  };
  return ids.map((id) => all[id]());
}

function panel(state: DashboardState, id: PanelId, width: number, height: number, now: number): ReactNode {
  switch (id) {
    case 'connection':
      return <ConnectionPanel key={id} connection={state.connection} now={now} width={width} height={height} />;
    case 'voltages':
      return <VoltagesPanel key={id} voltages={state.voltages} width={width} height={height} />;
    case 'edges':
      return <EdgesPanel key={id} edges={state.edges} width={width} height={height} />;
    case 'curve':
      return <CurvePanel key={id} curve={state.curve} width={width} height={height} />;
    case 'eigen':
      return <EigenPanel key={id} eigen={state.eigen} now={now} width={width} height={height} />;
    case 'alarms':
      return <AlarmsPanel key={id} alarms={state.alarms} width={width} height={height} />;
    case 'log':
      return <LogPanel key={id} log={state.log} width={width} height={height} />;
  }
}

function Column(props: { state: DashboardState; ids: PanelId[]; width: number; height: number; now: number }): ReactNode {
  const { state, ids, width, height, now } = props;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {allocate(slots(state, ids, width), height).map((a) => panel(state, a.id, width, a.height, now))}
    </Box>
  );
}

function Title({ state, width }: { state: DashboardState; width: number }): ReactNode {
  const id = state.connection.identity;
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        <Text bold inverse>
          {' clln '}
        </Text>{' '}
        <Text bold>{state.run.title}</Text>
        {id ? `  ·  ${id.model} ${id.uid}` : ''}
        {state.run.busy ? <Text color="yellow">{`  ·  ${state.run.busy}…`}</Text> : null}
      </Text>
    </Box>
  );
}

/** The whole dashboard for a terminal of `columns` x `rows`. */
export function Dashboard({ state, columns, rows, now }: DashboardProps): ReactNode {
  const width = Math.max(1, columns);
  const height = Math.max(1, rows - 1);
  const fh = Math.min(height, footerHeight(state.run, width));
  const titleH = height > fh ? 1 : 0;
  const body = Math.max(0, height - titleH - fh);
  let content: ReactNode = null;
  if (body > 0 && width >= WIDE_COLUMNS) {
    const logSlot = slots(state, ['log'], width)[0];
    const logH = body >= 8 ? Math.min(logSlot.want, Math.max(3, Math.floor(body * 0.2))) : 0;
    const mid = body - logH;
    const leftW = Math.floor((width - 1) / 2);
    const rightW = width - leftW - 1;
    content = (
      <>
        <Box height={mid} overflow="hidden">
          <Column state={state} ids={['connection', 'voltages', 'edges']} width={leftW} height={mid} now={now} />
          <Box width={1} />
          <Column state={state} ids={['curve', 'eigen', 'alarms']} width={rightW} height={mid} now={now} />
        </Box>
        {logH > 0 && <LogPanel log={state.log} width={width} height={logH} />}
      </>
    );
  } else if (body > 0) {
    content = (
      <Column
        state={state}
        ids={['connection', 'voltages', 'edges', 'curve', 'eigen', 'alarms', 'log']}
        width={width}
        height={body}
        now={now}
      />
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {titleH > 0 && <Title state={state} width={width} />}
      {content}
      <Footer run={state.run} width={width} />
    </Box>
  );
}

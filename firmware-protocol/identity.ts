import {
  ACCEPTED_PROTOCOL_VERSIONS,
  formatList,
  formatNumber,
  parseFields,
  parseInteger,
  parseIntegerList,
  parseList,
  parseNumber,
  KEEP_BEFORE_1_3,
  LATEST_PROTOCOL_VERSION,
  repeatedKey,
} from './messages.js';

/**
 * What a board's learning step accepts (PROTOCOL.md section 7.1: `eta=`, `sched=`, `amp=`, `gstep=`): limits the
 * host cannot know from anything else, checked by the host before it sends a STEP or a schedule.
 */
export interface StepLimits {
  /** Range of `eta` (dimensionless, 0 < lo <= hi <= 1) that STEP and SCHED BEGIN accept. */
  eta: { lo: number; hi: number };
  /** Most examples a schedule may hold. */
  maxExamples: number;
  /**
   * Frames of the present or last run the board keeps for `RESEND` (`keep=`, protocol 1.3; 1..65535). Absent means
   * {@link KEEP_BEFORE_1_3} (a 1.1 or 1.2 board). A host never lets more frames than this be unacknowledged.
   */
  keep?: number;
  /** Gate boards: range of `amp` (volts of gate change per squared volt of difference, 0 <= lo <= hi). */
  amp?: { lo: number; hi: number };
  /** Gate boards: the largest change of one gate voltage in one learning step (V); larger updates are limited to it. */
  gateStep?: number;
}

/**
 * The nominal law of a board's adjustable edges, as `ID` reports it from protocol 1.2 on (PROTOCOL.md section 7.1,
 * `law=`): how a setting becomes a conductance, before per-edge tolerances (which calibration fits).
 * - `geometric` (tap boards, `taper` absent or `geometric`): tap t of `taps` has resistance `rMax (rMin/rMax)^(t/(taps-1))` ohm.
 * - `linear` (tap boards, `taper: 'linear'`, protocol 1.3): `rMax - (rMax - rMin) t/(taps-1)` ohm (e.g. an AD5206
 *   rheostat in series with a fixed resistor).
 * - `ohmic` (gate boards): `k = s (V_G - vt - (V_a + V_b)/2)`, s in S/V (the wire carries uS/V), vt in V.
 */
export type NominalLaw = { kind: 'tap'; rMin: number; rMax: number; taper?: TapTaper } | { kind: 'gate'; s: number; vt: number };

/** How the resistance of a tap edge runs from rMax (tap 0) to rMin (top tap): `geometric` (the default) or `linear`. */
export type TapTaper = 'geometric' | 'linear';

/** What a board says about itself: the payload of `ID` plus the edge list of `TOPO` (PROTOCOL.md). */
export interface BoardIdentity {
  /** Protocol version the board speaks, as written on the wire (`1.1`, `1.2` or `1.3`). */
  protocol: string;
  /** Firmware version string. */
  firmware: string;
  /** Board model name, e.g. `penn-gen1`. */
  model: string;
  /** Unique id of this board (hex). */
  uid: string;
  /** Boot counter: changes when the board has reset. */
  bootCount: number;
  /** Number of nodes N. */
  nodes: number;
  /** Edge list: edge e joins edges[e][0] to edges[e][1]. */
  edges: [number, number][];
  /** Nodes that can be driven as sources (and ground, at 0 V). */
  drivable: number[];
  /** Nodes that can be clamped. */
  clampable: number[];
  /** ADC: resolution in bits and input range in volts. */
  adc: { bits: number; lo: number; hi: number };
  /** DAC output range in volts. */
  dac: { lo: number; hi: number };
  /** Edge kind: a digital potentiometer with `taps` positions, or a transistor whose gate voltage (volts) is set. */
  edge: { kind: 'tap'; taps: number } | { kind: 'gate'; lo: number; hi: number };
  /** Maximum ADC sample rate, samples per second. */
  maxSampleRate: number;
  /** What the board's learning step and schedules accept. */
  limits: StepLimits;
  /** The nominal edge law (`law=`, protocol 1.2); absent from a 1.1 board, whose law must come from a board file. */
  law?: NominalLaw;
}

/** Microsiemens per siemens: `law=ohmic` carries s in uS/V, so that its digits survive the wire's 6 decimals. */
const MICRO = 1e6;

/**
 * The `law=` field value of a nominal law (PROTOCOL.md 7.1): `geometric,RMIN,RMAX` or `linear,RMIN,RMAX` (ohm) or
 * `ohmic,S,VT` (S in uS/V, VT in V), numbers in the wire's grammar (at most 6 decimals).
 */
export function formatLaw(law: NominalLaw): string {
  return law.kind === 'tap' ? `${law.taper ?? 'geometric'},${formatNumber(law.rMin)},${formatNumber(law.rMax)}` : `ohmic,${formatNumber(law.s * MICRO)},${formatNumber(law.vt)}`;
}

/**
 * Parse a `law=` value for a board of edge kind `kind`; an error string naming the rule instead of throwing.
 * `geometric` and `linear` belong to tap boards and need 0 < RMIN < RMAX; `ohmic` to gate boards and needs S > 0.
 * A `linear` law comes back with `taper: 'linear'`; a geometric one without `taper` (the default).
 */
export function parseLaw(text: string, kind: 'tap' | 'gate'): NominalLaw | string {
  const parts = text.split(',');
  const a = parts.length === 3 ? parseNumber(parts[1]) : null;
  const b = parts.length === 3 ? parseNumber(parts[2]) : null;
  if ((parts[0] === 'geometric' || parts[0] === 'linear') && a !== null && b !== null && a > 0 && a < b) {
    if (kind !== 'tap') return `ID reply field law is ${parts[0]} (a tap law) but the board has gate edges`;
    return parts[0] === 'linear' ? { kind: 'tap', rMin: a, rMax: b, taper: 'linear' } : { kind: 'tap', rMin: a, rMax: b };
  }
  if (parts[0] === 'ohmic' && a !== null && b !== null && a > 0) {
    return kind === 'gate' ? { kind: 'gate', s: a / MICRO, vt: b } : 'ID reply field law is ohmic (a gate law) but the board has tap edges';
  }
  return 'ID reply field law must be geometric,RMIN,RMAX or linear,RMIN,RMAX (ohm, 0 < RMIN < RMAX) or ohmic,S,VT (S in uS/V > 0, VT in V)';
}

/** A nominal law as the other side of the wire receives it (formatted, then parsed): what the twin reports in-process. */
export function wireLaw(law: NominalLaw): NominalLaw {
  const back = parseLaw(formatLaw(law), law.kind);
  if (typeof back === 'string') throw new RangeError(back);
  return back;
}

/** Frames a board keeps for `RESEND`: its `keep=` (protocol 1.3), else {@link KEEP_BEFORE_1_3}. */
export function frameKeep(limits: StepLimits): number {
  return limits.keep ?? KEEP_BEFORE_1_3;
}

/** True for a protocol version before 1.3, whose `ID` has no `keep=` (such a board keeps 256 frames). */
function before13(protocol: string): boolean {
  return protocol === '1.1' || protocol === '1.2';
}

/**
 * The `ID` reply payload fields for an identity, in the order PROTOCOL.md section 7.1 lists them (edges go in `TOPO`);
 * `law=` when the identity has a law (a 1.2 or 1.3 board), `keep=` after `sched=` from protocol 1.3 on.
 */
export function formatIdentity(id: BoardIdentity): string[] {
  const edge = id.edge.kind === 'tap' ? `edge=tap,${id.edge.taps}` : `edge=gate,${formatNumber(id.edge.lo)},${formatNumber(id.edge.hi)}`;
  const out = [
    `proto=${id.protocol}`,
    `fw=${id.firmware}`,
    `board=${id.model}`,
    `uid=${id.uid}`,
    `boot=${id.bootCount}`,
    `nodes=${id.nodes}`,
    `edges=${id.edges.length}`,
    `drive=${formatList(id.drivable)}`,
    `clamp=${formatList(id.clampable)}`,
    `adc=${id.adc.bits},${formatNumber(id.adc.lo)},${formatNumber(id.adc.hi)}`,
    `dac=${formatNumber(id.dac.lo)},${formatNumber(id.dac.hi)}`,
    edge,
    ...(id.law ? [`law=${formatLaw(id.law)}`] : []),
    `rate=${formatNumber(id.maxSampleRate)}`,
    `eta=${formatNumber(id.limits.eta.lo)},${formatNumber(id.limits.eta.hi)}`,
    `sched=${id.limits.maxExamples}`,
    ...(before13(id.protocol) ? [] : [`keep=${id.limits.keep ?? KEEP_BEFORE_1_3}`]),
  ];
  if (id.limits.amp) out.push(`amp=${formatNumber(id.limits.amp.lo)},${formatNumber(id.limits.amp.hi)}`);
  if (id.limits.gateStep !== undefined) out.push(`gstep=${formatNumber(id.limits.gateStep)}`);
  return out;
}

/** The `TOPO` reply payload: `a-b,a-b,...`. */
export function formatTopology(edges: [number, number][]): string[] {
  return [edges.map(([a, b]) => `${a}-${b}`).join(',') || '-'];
}

/** Parse a `TOPO` payload; null if malformed (ends must be protocol integers). */
export function parseTopology(payload: string[]): [number, number][] | null {
  if (payload.length !== 1) return null;
  if (payload[0] === '-') return [];
  const out: [number, number][] = [];
  for (const p of payload[0].split(',')) {
    const m = /^(0|[1-9]\d{0,5})-(0|[1-9]\d{0,5})$/.exec(p);
    if (!m) return null;
    out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

/**
 * The major version of a protocol version text (`1.1` -> 1, and a 1.0 board's `1` -> 1): what records that only care
 * about compatibility (a calibration record's `board.protocol`) keep.
 */
export function protocolMajor(version: string): number {
  return Number.parseInt(version, 10);
}

/**
 * The protocol version in an `ID` or banner field as a person reads it: a 1.0 board wrote `proto=1`.
 */
function versionText(proto: string): string {
  return /^\d+$/.test(proto) ? `${proto} (${proto}.0)` : proto;
}

/**
 * Parse an `ID` payload plus the `TOPO` edge list into an identity. Returns an error string naming the bad field
 * instead of throwing. Fields are found by key, in any order, and unknown keys are ignored (PROTOCOL.md section 3);
 * a key given twice is an error. Refuses a protocol version not in {@link ACCEPTED_PROTOCOL_VERSIONS} (naming both);
 * a 1.2 or 1.3 board must report `law=` (a 1.1 board's `law=`, unknown in 1.1, is ignored), a 1.3 board `keep=`
 * (a 1.1 or 1.2 board keeps 256 frames, and a `keep=` it sends is ignored). Refuses
 * an identity the host could not use safely: counts that are not non-negative integers, node indices (drive, clamp,
 * edge ends) outside 0..nodes-1, empty ranges, limits outside what PROTOCOL.md allows.
 */
export function parseIdentity(payload: string[], edges: [number, number][]): BoardIdentity | string {
  const twice = repeatedKey(payload);
  if (twice !== null) return `ID reply gives field ${twice} twice`;
  const f = parseFields(payload);
  const num = (k: string): number | null => {
    const v = f.get(k);
    return v === undefined ? null : parseNumber(v);
  };
  const int = (k: string): number | null => {
    const v = f.get(k);
    return v === undefined ? null : parseInteger(v);
  };
  const list = (k: string): number[] | null => {
    const v = f.get(k);
    return v === undefined ? null : parseList(v);
  };
  const protocol = f.get('proto');
  if (protocol === undefined || protocol === '') return 'ID reply has no proto field';
  if (!ACCEPTED_PROTOCOL_VERSIONS.includes(protocol)) {
    const speaks = `${ACCEPTED_PROTOCOL_VERSIONS.slice(0, -1).join(', ')} and ${ACCEPTED_PROTOCOL_VERSIONS[ACCEPTED_PROTOCOL_VERSIONS.length - 1]}`;
    return `board speaks protocol ${versionText(protocol)}, this host speaks ${speaks}; use a firmware (or host) for protocol ${LATEST_PROTOCOL_VERSION}`;
  }
  for (const k of ['fw', 'board', 'uid']) {
    if (!f.get(k)) return `ID reply field ${k} is missing or empty`;
  }
  const nodes = int('nodes');
  const nEdges = int('edges');
  const boot = int('boot');
  const drive = f.has('drive') ? parseIntegerList(f.get('drive')!) : null;
  const clamp = f.has('clamp') ? parseIntegerList(f.get('clamp')!) : null;
  const adc = list('adc');
  const dac = list('dac');
  const rate = num('rate');
  const edgeField = f.get('edge')?.split(',') ?? [];
  if (nodes === null || nodes < 1) return 'ID reply field nodes is missing or not a positive integer';
  if (nEdges === null) return 'ID reply field edges is missing or not a non-negative integer';
  if (boot === null || boot > 4294967295) return 'ID reply field boot is missing or not an integer in 0..4294967295';
  const isNode = (x: number): boolean => Number.isInteger(x) && x >= 0 && x < nodes;
  for (const [name, v] of [['drive', drive], ['clamp', clamp]] as const) {
    if (v === null) return `ID reply field ${name} is missing or not a list of node numbers`;
    if (!v.every(isNode)) return `ID reply field ${name} lists a node outside 0..${nodes - 1}`;
    if (new Set(v).size !== v.length) return `ID reply field ${name} lists a node twice`;
  }
  if (!adc || adc.length !== 3) return 'ID reply field adc must be BITS,LO,HI';
  if (!Number.isInteger(adc[0]) || adc[0] < 1 || adc[0] > 32) return 'ID reply field adc has BITS outside 1..32';
  if (!(adc[1] < adc[2])) return 'ID reply field adc needs LO < HI';
  if (!dac || dac.length !== 2) return 'ID reply field dac must be LO,HI';
  if (!(dac[0] < dac[1])) return 'ID reply field dac needs LO < HI';
  if (rate === null || !(rate > 0)) return 'ID reply field rate is missing or not positive';
  if (nEdges !== edges.length) return `ID says ${nEdges} edges but TOPO lists ${edges.length}`;
  for (let e = 0; e < edges.length; e++) {
    const [a, b] = edges[e];
    if (!isNode(a) || !isNode(b)) return `TOPO edge ${e} (${a}-${b}) has an end outside 0..${nodes - 1}`;
    if (a === b) return `TOPO edge ${e} joins node ${a} to itself`;
  }
  let edge: BoardIdentity['edge'];
  const e1 = edgeField.length > 1 ? parseNumber(edgeField[1]) : null;
  const e2 = edgeField.length > 2 ? parseNumber(edgeField[2]) : null;
  if (edgeField[0] === 'tap' && edgeField.length === 2 && e1 !== null && Number.isSafeInteger(e1) && e1 >= 2) {
    edge = { kind: 'tap', taps: e1 };
  } else if (edgeField[0] === 'gate' && edgeField.length === 3 && e1 !== null && e2 !== null && e1 < e2) {
    edge = { kind: 'gate', lo: e1, hi: e2 };
  } else {
    return 'ID reply field edge must be tap,COUNT (COUNT >= 2) or gate,LO,HI (LO < HI)';
  }
  const eta = list('eta');
  if (!eta || eta.length !== 2 || !(eta[0] > 0 && eta[0] <= eta[1] && eta[1] <= 1)) return 'ID reply field eta must be LO,HI with 0 < LO <= HI <= 1';
  const maxExamples = int('sched');
  if (maxExamples === null || maxExamples < 1 || maxExamples > 65535) return 'ID reply field sched must be an integer in 1..65535';
  const limits: StepLimits = { eta: { lo: eta[0], hi: eta[1] }, maxExamples };
  // keep= from protocol 1.3 on; an older board's limits carry none, which means KEEP_BEFORE_1_3 (frameKeep())
  if (!before13(protocol)) {
    const k = int('keep');
    if (k === null || k < 1 || k > 65535) return `ID reply field keep must be an integer in 1..65535 (the frames kept for RESEND; protocol ${protocol} requires it)`;
    limits.keep = k;
  }
  if (edge.kind === 'gate') {
    const amp = list('amp');
    if (!amp || amp.length !== 2 || !(amp[0] >= 0 && amp[0] <= amp[1])) return 'ID reply field amp must be LO,HI with 0 <= LO <= HI (gate boards)';
    const gstep = num('gstep');
    if (gstep === null || !(gstep > 0)) return 'ID reply field gstep must be a positive number of volts (gate boards)';
    limits.amp = { lo: amp[0], hi: amp[1] };
    limits.gateStep = gstep;
  } else if (f.has('amp') || f.has('gstep')) {
    return 'ID reply fields amp and gstep are for gate boards only, and this is a tap board';
  }
  let law: NominalLaw | undefined;
  if (protocol !== '1.1') {
    const text = f.get('law');
    if (text === undefined) return `ID reply has no law field (protocol ${protocol} requires it)`;
    const parsed = parseLaw(text, edge.kind);
    if (typeof parsed === 'string') return parsed;
    law = parsed;
  }
  const id: BoardIdentity = {
    protocol,
    firmware: f.get('fw')!,
    model: f.get('board')!,
    uid: f.get('uid')!,
    bootCount: boot,
    nodes,
    edges,
    drivable: drive!,
    clampable: clamp!,
    adc: { bits: adc[0], lo: adc[1], hi: adc[2] },
    dac: { lo: dac[0], hi: dac[1] },
    edge,
    maxSampleRate: rate,
    limits,
  };
  if (law) id.law = law;
  return id;
}

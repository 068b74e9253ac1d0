import { formatList, formatNumber, parseFields, parseList, parseNumber, PROTOCOL_VERSION } from './messages.js';

/** What a board says about itself: the payload of `ID` plus the edge list of `TOPO` (PROTOCOL.md). */
export interface BoardIdentity {
  /** Protocol version the board speaks. */
  protocol: number;
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
}

/** The `ID` reply payload fields for an identity (edges go in `TOPO`). */
export function formatIdentity(id: BoardIdentity): string[] {
  const edge = id.edge.kind === 'tap' ? `edge=tap,${id.edge.taps}` : `edge=gate,${formatNumber(id.edge.lo)},${formatNumber(id.edge.hi)}`;
  return [
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
    `rate=${formatNumber(id.maxSampleRate)}`,
  ];
}

/** The `TOPO` reply payload: `a-b,a-b,...`. */
export function formatTopology(edges: [number, number][]): string[] {
  return [edges.map(([a, b]) => `${a}-${b}`).join(',') || '-'];
}

/** Parse a `TOPO` payload; null if malformed. */
export function parseTopology(payload: string[]): [number, number][] | null {
  if (payload.length !== 1) return null;
  if (payload[0] === '-') return [];
  const out: [number, number][] = [];
  for (const p of payload[0].split(',')) {
    const m = /^(\d{1,6})-(\d{1,6})$/.exec(p);
    if (!m) return null;
    out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

/**
 * Parse an `ID` payload plus the `TOPO` edge list into an identity. Returns an error string naming the bad field
 * instead of throwing. Refuses an unknown protocol version, and an identity the host could not use safely: counts
 * that are not non-negative integers, node indices (drive, clamp, edge ends) outside 0..nodes-1, empty ranges.
 */
export function parseIdentity(payload: string[], edges: [number, number][]): BoardIdentity | string {
  const f = parseFields(payload);
  const num = (k: string): number | null => {
    const v = f.get(k);
    return v === undefined ? null : parseNumber(v);
  };
  const list = (k: string): number[] | null => {
    const v = f.get(k);
    return v === undefined ? null : parseList(v);
  };
  const isCount = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;
  const protocol = num('proto');
  if (protocol === null) return 'ID reply has no proto field';
  if (protocol !== PROTOCOL_VERSION) return `board speaks protocol ${protocol}, this host speaks ${PROTOCOL_VERSION}`;
  for (const k of ['fw', 'board', 'uid']) {
    if (!f.get(k)) return `ID reply field ${k} is missing or empty`;
  }
  const nodes = num('nodes');
  const nEdges = num('edges');
  const boot = num('boot');
  const drive = list('drive');
  const clamp = list('clamp');
  const adc = list('adc');
  const dac = list('dac');
  const rate = num('rate');
  const edgeField = f.get('edge')?.split(',') ?? [];
  if (nodes === null || !isCount(nodes) || nodes < 1) return 'ID reply field nodes is missing or not a positive integer';
  if (nEdges === null || !isCount(nEdges)) return 'ID reply field edges is missing or not a non-negative integer';
  if (boot === null || !isCount(boot)) return 'ID reply field boot is missing or not a non-negative integer';
  const isNode = (x: number): boolean => Number.isInteger(x) && x >= 0 && x < nodes;
  for (const [name, v] of [['drive', drive], ['clamp', clamp]] as const) {
    if (v === null) return `ID reply field ${name} is missing or malformed`;
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
  return {
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
  };
}

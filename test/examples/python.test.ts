/**
 * examples/python (issue 15, point 4): Python reads clln's records and exports, and drives a served twin, without
 * clln's code — run with Debian's python3 (/usr/bin/python3 when there is one), with and without pandas.
 *
 * Truth is independent of the Python code: the JSON lines of the record parsed here (columns named by
 * src/store/README.md's "Export" rule), the CSV that `clln export` writes, a Parquet file built here to contract B
 * (GZIP pages, TIMESTAMP(MICROS), units in the column metadata) and checked with the npm reader hyparquet, the board
 * model file (twins/models/penn-gen1.json) and the twin's own counters. Skips only without python3
 * (scripts/systemTools.mjs installs it, and python3-pandas; the pandas checks skip without pandas).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveTwin, type ServingTwin } from '../../src/pipeline/serveTwin.js';
import { clln } from '../cli/inProcess.js';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(ROOT, 'examples/python');
const LOADER = join(EXAMPLES, 'clln_records.py');
const DRIVER = join(EXAMPLES, 'drive_twin.py');
/** Debian's interpreter when there is one (a pyenv or venv python3 earlier on PATH may lack python3-pandas). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;
const hasPandas = hasPython && spawnSync(PYTHON, ['-c', 'import pandas']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'clln-python-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `python3 ARGS` as a child, asynchronously (a twin served in this process keeps answering meanwhile). */
function python(args: string[]): Promise<Run> {
  return new Promise((res, rej) => {
    // no bytecode written into the checkout
    const child = spawn(PYTHON, args, { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/**
 * What the Python side reports, as JSON: MODE is tables (record_tables), parquet (read_parquet), frames
 * (record_frames), pframe (parquet_frame), eframes (export_frames), summary; with NOPANDAS the import of pandas fails
 * as it does where pandas is not installed. Datetimes come as {"$us": microseconds since 1970}.
 */
const DRIVER_PY = `
import datetime, json, math, sys
mode, path, nopandas = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if nopandas:
    sys.modules["pandas"] = None  # import pandas now raises ImportError, as without it installed
sys.path.insert(0, ${JSON.stringify(EXAMPLES)})
import clln_records as c
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
def enc(o):
    if isinstance(o, datetime.datetime):
        return {"$us": (o - EPOCH) // datetime.timedelta(microseconds=1)}
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(repr(o))
def frame(df):
    import pandas as pd
    cols = {}
    for n in df.columns:
        out = []
        for x in df[n].astype(object).tolist():
            if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
                out.append(None)
            elif isinstance(x, pd.Timestamp):
                out.append({"$us": x.value // 1000})
            elif hasattr(x, "item"):
                out.append(x.item())
            else:
                out.append(x)
        cols[n] = out
    return {"order": list(df.columns), "dtypes": {n: str(t) for n, t in df.dtypes.items()}, "columns": cols, "units": df.attrs.get("units"), "start": df.attrs.get("start")}
try:
    if mode == "tables":
        out = c.record_tables(path)
    elif mode == "parquet":
        t = c.read_parquet(path)
        out = {k: t[k] for k in ("columns", "units", "start", "descriptor", "stop", "schema", "num_rows")}
        out["order"] = list(t["columns"])
    elif mode == "frames":
        out = {k: frame(v) for k, v in c.record_frames(path).items()}
    elif mode == "pframe":
        out = frame(c.parquet_frame(path))
    elif mode == "eframes":
        out = {k: frame(v) for k, v in c.export_frames(path).items()}
    else:
        out = c.summary(path)
except RuntimeError as e:
    out = {"error": str(e)}
print(json.dumps(out, default=enc))
`;
const driverPath = join(dir, 'driver.py');

async function py<T = any>(mode: string, path: string, noPandas = false): Promise<T> {
  const r = await python([driverPath, mode, path, noPandas ? '1' : '0']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Independent truth: the record's lines, the export's CSV
// ---------------------------------------------------------------------------------------------------------------

type Doc = Record<string, any>;
interface Lines {
  start: Doc;
  descriptors: Record<string, Doc>;
  events: Record<string, Doc[]>;
  stop: Doc | null;
}

function parseLines(path: string): Lines {
  const out: Lines = { start: {}, descriptors: {}, events: {}, stop: null };
  const byUid: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const [name, doc] = JSON.parse(line) as [string, Doc];
    if (name === 'start') out.start = doc;
    else if (name === 'stop') out.stop = doc;
    else if (name === 'descriptor') {
      out.descriptors[doc.name] = doc;
      out.events[doc.name] = [];
      byUid[doc.uid] = doc.name;
    } else out.events[byUid[doc.descriptor]].push(doc);
  }
  return out;
}

/**
 * The export's columns of one stream, from src/store/README.md's rule: seq_num, time, then each data key in
 * descriptor order; an array's elements key_i (the outer axis by `nodes` when the key lists one per element),
 * nested key_i_j; a null array leaves its columns null.
 */
function expectedColumns(descriptor: Doc, events: Doc[]): Map<string, unknown[]> {
  const cols = new Map<string, unknown[]>([
    ['seq_num', events.map((e) => e.seq_num)],
    ['time', events.map((e) => e.time)],
  ]);
  const put = (name: string, row: number, v: unknown): void => {
    if (!cols.has(name)) cols.set(name, new Array(events.length).fill(null));
    cols.get(name)![row] = v;
  };
  for (const [key, dk] of Object.entries(descriptor.data_keys as Record<string, Doc>)) {
    const nodes: number[] | undefined = Array.isArray(dk.nodes) && dk.nodes.length === dk.shape?.[0] ? dk.nodes : undefined;
    events.forEach((ev, row) => {
      const v = ev.data[key];
      if (dk.dtype !== 'array') return put(key, row, v);
      if (v === null) return;
      (v as unknown[]).forEach((x, i) => {
        const label = `${key}_${nodes ? nodes[i] : i}`;
        if (Array.isArray(x)) x.forEach((y, j) => put(`${label}_${j}`, row, y));
        else put(label, row, x);
      });
    });
  }
  return cols;
}

/** An RFC 4180 file as rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += ch;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

/** A CSV's columns: null for an empty field, else the text. */
function csvColumns(path: string): Map<string, (string | null)[]> {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return new Map(header.map((h, c) => [h, rows.map((r) => (r[c] === '' ? null : r[c]))]));
}

/** The time column: epoch seconds as recorded, or microseconds of a TIMESTAMP, against the recorded seconds. */
function expectTimes(got: unknown[], seconds: number[]): void {
  got.forEach((g, i) => {
    if (g !== null && typeof g === 'object') expect(Math.abs((g as { $us: number }).$us - seconds[i] * 1e6)).toBeLessThanOrEqual(1);
    else expect(g).toBe(seconds[i]);
  });
}

/** Python's columns equal the expected ones: same names in the same order, same values (time as above). */
function expectSameColumns(got: Record<string, unknown[]>, order: string[], want: Map<string, unknown[]>): void {
  expect(order).toEqual([...want.keys()]);
  for (const [name, values] of want) {
    if (name === 'time') expectTimes(got[name], values as number[]);
    else expect(got[name], name).toEqual(values);
  }
}

/** Python's values against the CSV's text: numbers by value, booleans as true/false, strings as written. */
function expectMatchesCsv(got: Record<string, unknown[]>, csv: Map<string, (string | null)[]>): void {
  expect(Object.keys(got)).toEqual([...csv.keys()]);
  for (const [name, texts] of csv) {
    const values = got[name];
    texts.forEach((t, i) => {
      const v = values[i];
      if (t === null) expect(v, `${name}[${i}]`).toBeNull();
      else if (name === 'time') expectTimes([v], [Number(t)]);
      else if (typeof v === 'number') expect(v, `${name}[${i}]`).toBe(Number(t));
      else if (typeof v === 'boolean') expect(String(v)).toBe(t);
      else expect(v, `${name}[${i}]`).toBe(t);
    });
  }
}

/** Units of each column from the descriptor's data keys (the key a column flattens). */
function expectedUnits(descriptor: Doc, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const keys = Object.entries(descriptor.data_keys as Record<string, Doc>).sort((a, b) => b[0].length - a[0].length);
  for (const n of names) {
    const hit = keys.find(([k]) => n === k || n.startsWith(`${k}_`) || n.startsWith(`${k}.`));
    if (hit && typeof hit[1].units === 'string') out[n] = hit[1].units;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// A Parquet file to contract B, built here (Thrift compact protocol written out from parquet.thrift)
// ---------------------------------------------------------------------------------------------------------------

type TV =
  | { t: 'bool'; v: boolean }
  | { t: 'i32'; v: number }
  | { t: 'i64'; v: bigint }
  | { t: 'bin'; v: Uint8Array }
  | { t: 'list'; et: number; v: TV[] }
  | { t: 'struct'; v: [number, TV][] };
const i32 = (v: number): TV => ({ t: 'i32', v });
const i64 = (v: number | bigint): TV => ({ t: 'i64', v: BigInt(v) });
const bin = (v: string | Uint8Array): TV => ({ t: 'bin', v: typeof v === 'string' ? new TextEncoder().encode(v) : v });
const st = (...v: [number, TV][]): TV => ({ t: 'struct', v });
const list = (et: number, v: TV[]): TV => ({ t: 'list', et, v });
const BOOL_T = 1;
const I32_T = 5;
const BIN_T = 8;
const STRUCT_T = 12;

function varint(out: number[], n: bigint): void {
  while (n >= 0x80n) out.push(Number(n & 0x7fn) | 0x80), (n >>= 7n);
  out.push(Number(n));
}
const zz = (n: bigint): bigint => (n >= 0n ? n << 1n : ((-n) << 1n) - 1n);
function typeCode(v: TV): number {
  return v.t === 'bool' ? (v.v ? 1 : 2) : v.t === 'i32' ? I32_T : v.t === 'i64' ? 6 : v.t === 'bin' ? BIN_T : v.t === 'list' ? 9 : STRUCT_T;
}
function writeValue(out: number[], v: TV): void {
  if (v.t === 'i32') varint(out, zz(BigInt(v.v)));
  else if (v.t === 'i64') varint(out, zz(v.v));
  else if (v.t === 'bin') varint(out, BigInt(v.v.length)), out.push(...v.v);
  else if (v.t === 'list') {
    if (v.v.length < 15) out.push((v.v.length << 4) | v.et);
    else out.push(0xf0 | v.et), varint(out, BigInt(v.v.length));
    for (const x of v.v) writeValue(out, x);
  } else if (v.t === 'struct') {
    let last = 0;
    for (const [id, x] of v.v) {
      const delta = id - last;
      if (delta > 0 && delta <= 15) out.push((delta << 4) | typeCode(x));
      else out.push(typeCode(x)), varint(out, zz(BigInt(id)));
      if (x.t !== 'bool') writeValue(out, x); // a bool field is all in its header
      last = id;
    }
    out.push(0);
  }
}
const thrift = (v: TV): Uint8Array => {
  const out: number[] = [];
  writeValue(out, v);
  return Uint8Array.from(out);
};

interface BColumn {
  name: string;
  type: 'int64' | 'double' | 'boolean' | 'string' | 'timestamp';
  values: (number | bigint | boolean | string | null)[];
  units?: string;
  /** Definition levels as one bit-packed run (else RLE runs). */
  bitPacked?: boolean;
}

/** Definition levels (1 present, 0 null), bit width 1, 4-byte length prefix; bit-packed or RLE runs of the hybrid. */
function levels(values: unknown[], bitPacked: boolean): number[] {
  const body: number[] = [];
  const lv: number[] = values.map((v) => (v === null ? 0 : 1));
  if (bitPacked) {
    const groups = Math.ceil(lv.length / 8);
    varint(body, BigInt((groups << 1) | 1));
    for (let g = 0; g < groups; g++) body.push(lv.slice(8 * g, 8 * g + 8).reduce((a: number, b, k) => a | (b << k), 0));
  } else {
    for (let i = 0; i < lv.length; ) {
      let j = i;
      while (j < lv.length && lv[j] === lv[i]) j++;
      varint(body, BigInt((j - i) << 1));
      body.push(lv[i]);
      i = j;
    }
  }
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return [...len, ...body];
}

function plain(c: BColumn): number[] {
  const present = c.values.filter((v) => v !== null);
  const out: number[] = [];
  if (c.type === 'boolean') {
    const b = new Array(Math.ceil(present.length / 8)).fill(0);
    present.forEach((v, k) => v && (b[k >> 3] |= 1 << (k & 7)));
    return b;
  }
  for (const v of present) {
    const b = Buffer.alloc(8);
    if (c.type === 'double') b.writeDoubleLE(v as number);
    else if (c.type === 'string') {
      const s = Buffer.from(v as string, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(s.length);
      out.push(...len, ...s);
      continue;
    } else b.writeBigInt64LE(BigInt(v as number | bigint));
    out.push(...b);
  }
  return out;
}

const PHYSICAL = { int64: 2, timestamp: 2, double: 5, boolean: 0, string: 6 } as const;

function contractB(columns: BColumn[], kv: Record<string, string>): Uint8Array {
  const rows = columns[0].values.length;
  const parts: Uint8Array[] = [Buffer.from('PAR1')];
  let offset = 4;
  const chunks: TV[] = [];
  for (const c of columns) {
    const optional = c.values.some((v) => v === null);
    const page = Uint8Array.from([...(optional ? levels(c.values, !!c.bitPacked) : []), ...plain(c)]);
    const gz = gzipSync(page);
    const header = thrift(st([1, i32(0)], [2, i32(page.length)], [3, i32(gz.length)], [5, st([1, i32(rows)], [2, i32(0)], [3, i32(3)], [4, i32(3)])]));
    const meta: [number, TV][] = [
      [1, i32(PHYSICAL[c.type])],
      [2, list(I32_T, optional ? [i32(0), i32(3)] : [i32(0)])],
      [3, list(BIN_T, [bin(c.name)])],
      [4, i32(2)], // GZIP
      [5, i64(rows)],
      [6, i64(header.length + page.length)],
      [7, i64(header.length + gz.length)],
    ];
    if (c.units) meta.push([8, list(STRUCT_T, [st([1, bin('units')], [2, bin(c.units)])])]);
    meta.push([9, i64(offset)]);
    chunks.push(st([2, i64(offset)], [3, st(...meta)]));
    parts.push(header, gz);
    offset += header.length + gz.length;
  }
  const schema: TV[] = [st([4, bin('schema')], [5, i32(columns.length)])];
  for (const c of columns) {
    const f: [number, TV][] = [
      [1, i32(PHYSICAL[c.type])],
      [3, i32(c.values.some((v) => v === null) ? 1 : 0)],
      [4, bin(c.name)],
    ];
    if (c.type === 'string') f.push([6, i32(0)], [10, st([1, st()])]); // UTF8; LogicalType STRING
    if (c.type === 'timestamp') f.push([6, i32(10)], [10, st([8, st([1, { t: 'bool', v: true }], [2, st([2, st()])])])]); // TIMESTAMP_MICROS; TIMESTAMP(UTC, MICROS)
    schema.push(st(...f));
  }
  const footer = thrift(
    st(
      [1, i32(1)],
      [2, list(STRUCT_T, schema)],
      [3, i64(rows)],
      [4, list(STRUCT_T, [st([1, list(STRUCT_T, chunks)], [2, i64(offset - 4)], [3, i64(rows)])])],
      [5, list(STRUCT_T, Object.entries(kv).map(([k, v]) => st([1, bin(k)], [2, bin(v)])))],
      [6, bin('clln test (contract B)')],
    ),
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  parts.push(footer, len, Buffer.from('PAR1'));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: a simulated and a board run, recorded and exported by clln; a record with an evaluation stream
// (contract A), a Parquet file to contract B
// ---------------------------------------------------------------------------------------------------------------

const sim = join(dir, 'sim.jsonl');
const board = join(dir, 'board.jsonl');
const evalRec = join(dir, 'eval.jsonl');
const bFile = join(dir, 'contractB.parquet');

async function ok(...args: string[]): Promise<void> {
  const r = await clln(...args);
  expect(r.code, `clln ${args.join(' ')}: ${r.stderr}`).toBe(0);
}

/** Export a record as CSV and Parquet beside it. */
async function exportBoth(rec: string): Promise<void> {
  await ok('export', rec, '--csv', rec.replace(/\.jsonl$/, '.csv'));
  await ok('export', rec, '--parquet', rec.replace(/\.jsonl$/, '.parquet'));
}

/**
 * The simulated record with an evaluation stream written to contract A: its descriptor just before the first
 * evaluation, events interleaved in time with the steps, seq_num per stream, num_events per stream. Test outputs
 * [M_test = 2, T = 2]; one evaluation without test examples holds nulls (what a task without a test set records).
 */
function buildEvaluationRecord(): { evals: Doc[] } {
  const rec = parseLines(sim);
  const primary = rec.events.primary;
  const desc = {
    uid: 'e0a1b2c3-0000-4000-8000-000000000001',
    run_start: rec.start.uid,
    time: primary[0].time,
    name: 'evaluation',
    layout: 'clln.evaluations/1',
    data_keys: {
      step: { dtype: 'integer', shape: [], source: 'host:engine' },
      train_mse: { dtype: 'number', shape: [], source: 'host:engine', units: 'V^2' },
      test_mse: { dtype: 'number', shape: [], source: 'host:engine', units: 'V^2', nullable: true },
      test_outputs: { dtype: 'array', shape: [2, 2], dims: ['example', 'target'], dtype_numpy: '<f8', source: 'host:engine', units: 'V', nullable: true },
      final: { dtype: 'boolean', shape: [], source: 'host:engine' },
    },
  };
  const at = [0, 10, 20, primary.length];
  const evals = at.map((step, k) => ({
    uid: `e0a1b2c3-0000-4000-8000-00000000010${k}`,
    descriptor: desc.uid,
    time: primary[Math.min(step, primary.length - 1)].time,
    seq_num: k + 1,
    data: {
      step,
      train_mse: 0.02 / (k + 1) ** 2,
      test_mse: k === 2 ? null : 0.03 / (k + 1),
      test_outputs: k === 2 ? null : [[0.1 * k, 0.2 + k], [-0.5, 1e-9 * (k + 1)]],
      final: k === at.length - 1,
    },
    timestamps: {},
  }));
  const lines = [JSON.stringify(['start', rec.start]), JSON.stringify(['descriptor', rec.descriptors.primary]), JSON.stringify(['descriptor', desc])];
  primary.forEach((ev, i) => {
    evals.filter((e) => e.data.step === i).forEach((e) => lines.push(JSON.stringify(['event', e])));
    lines.push(JSON.stringify(['event', ev]));
  });
  lines.push(JSON.stringify(['event', evals[evals.length - 1]]));
  lines.push(JSON.stringify(['stop', { ...rec.stop, num_events: { primary: primary.length, evaluation: evals.length } }]));
  writeFileSync(evalRec, lines.join('\n') + '\n');
  return { evals };
}

const T0 = 1796657429214000n; // microseconds since 1970
const B_COLUMNS: BColumn[] = [
  { name: 'seq_num', type: 'int64', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  { name: 'time', type: 'timestamp', values: [0, 1, 999, 1000, 1001, 123457, 1_000_000, 2_000_001, 86_400_000_000, 86_400_000_001].map((d) => T0 + BigInt(d)) },
  { name: 'step', type: 'int64', values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  { name: 'settings_0', type: 'int64', values: [-3, 0, 2 ** 40, -(2 ** 53) + 1, 99, 98, 97, 96, 95, 2 ** 53 - 1], units: 'tap' },
  { name: 'cost', type: 'double', values: [0.5, 1e-300, -0.0, 0.1, 1 / 3, 2.5e10, 4, 5, 6, 7], units: 'V^2' },
  { name: 'vf_9', type: 'double', values: [0.25, null, null, 0.125, 1, 2, null, 3, 4, null], units: 'V', bitPacked: true },
  { name: 'alarm', type: 'boolean', values: [true, false, false, true, true, false, true, true, false, true] },
  { name: 'ok', type: 'boolean', values: [null, true, true, false, null, null, true, false, false, true] },
  { name: 'k_sha256', type: 'string', values: ['279f61dfee0b5c68', null, 'ünïcødé ✓', '', 'a,b "c"', null, null, 'x', 'y', 'z'] },
];
const B_START = { uid: 'b-start', time: 1796657429.2, plan_name: 'contract B' };
const B_DESCRIPTOR = { uid: 'b-desc', name: 'primary', data_keys: { step: { dtype: 'integer', shape: [], source: 'x' } } };
const B_STOP = { uid: 'b-stop', exit_status: 'success', reason: 'steps', num_events: { primary: 10 } };

let evals: Doc[] = [];
let evalExported = false;
/** The export of a record's primary stream (the evaluation record's primary events are the simulated run's). */
const exported = (rec: string, ext: '.csv' | '.parquet'): string => (rec === evalRec && !evalExported ? sim : rec).replace(/\.jsonl$/, ext);
beforeAll(async () => {
  writeFileSync(driverPath, DRIVER_PY);
  // a simulated run with test examples, snapshots every 7 steps (nulls between), strings (digests)
  const net = join(dir, 'net.json');
  const task = join(dir, 'task.json');
  await ok('network', 'lattice', '3x3', '--seed', '1', '--out', net);
  await ok('task', 'linear', '--matrix', '0.15,0.3', '--sources', '0,2', '--targets', '4', '--ground', '8', '--count', '6', '--test', '3', '--seed', '1', '--network', net, '--out', task);
  await ok('train', net, task, '--steps', '30', '--seed', '3', '--snapshot-every', '7', '--record', sim);
  await exportBoth(sim);
  // a host-stepped run on the penn-gen1 twin: readings by node (vf_9), tap settings (integers), alarms (booleans)
  const bnet = join(dir, 'gen1.json');
  const btask = join(dir, 'gen1-task.json');
  await ok('network', 'board', 'penn-gen1', '--out', bnet);
  await ok('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '5', '--test', '2', '--network', bnet, '--out', btask);
  await ok('train', bnet, btask, '--board', 'twin', '--update', 'host', '--steps', '6', '--order', 'sequential', '--record', board);
  await exportBoth(board);
  evals = buildEvaluationRecord().evals;
  // clln reads a second stream once contract A is in; until then the primary stream's export is the simulated run's
  evalExported = (await clln('export', evalRec, '--csv', evalRec.replace(/\.jsonl$/, '.csv'))).code === 0;
  if (evalExported) await ok('export', evalRec, '--parquet', evalRec.replace(/\.jsonl$/, '.parquet'));
  writeFileSync(
    bFile,
    contractB(B_COLUMNS, {
      'clln.units': JSON.stringify({ settings_0: 'tap', cost: 'V^2', vf_9: 'V', step: 'step' }),
      'clln.start': JSON.stringify(B_START),
      'clln.descriptor': JSON.stringify(B_DESCRIPTOR),
      'clln.stop': JSON.stringify(B_STOP),
    }),
  );
}, 120_000);

const RECORDS = [
  ['a simulated run (digests as strings, conductance snapshots null between)', sim],
  ['a host-stepped board run on the twin (readings by node, taps as integers, alarms)', board],
  ['a record with an evaluation stream (contract A)', evalRec],
] as const;

describe.skipIf(!hasPython)(`examples/python with ${PYTHON}`, () => {
  it('both scripts compile', async () => {
    for (const f of [LOADER, DRIVER]) {
      const r = await python(['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', f, join(dir, 'compiled.pyc')]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });

  for (const [what, rec] of RECORDS) {
    it(`record_tables reads ${what} as the record holds it, with the export's column names and the CSV's values; without pandas too`, async () => {
      const lines = parseLines(rec);
      for (const noPandas of [false, true]) {
        const got = await py<Record<string, Record<string, unknown[]>>>('tables', rec, noPandas);
        expect(Object.keys(got)).toEqual(Object.keys(lines.descriptors));
        for (const stream of Object.keys(lines.descriptors)) {
          const want = expectedColumns(lines.descriptors[stream], lines.events[stream]);
          expectSameColumns(got[stream], Object.keys(got[stream]), want);
        }
        expectMatchesCsv(got.primary, csvColumns(exported(rec, '.csv')));
        // once clln exports the evaluation stream (contract A), its CSV holds what Python read
        const evCsv = rec.replace(/\.jsonl$/, '.evaluation.csv');
        if (got.evaluation && existsSync(evCsv)) expectMatchesCsv(got.evaluation, csvColumns(evCsv));
      }
    });

    it(`read_parquet reads clln's Parquet export of ${what}: the CSV's values, the documents, units from the descriptor`, async () => {
      const lines = parseLines(exported(rec, '.parquet').replace(/\.parquet$/, '.jsonl'));
      const pq = exported(rec, '.parquet');
      for (const noPandas of [false, true]) {
        const got = await py('parquet', pq, noPandas);
        expectMatchesCsv(got.columns, csvColumns(exported(rec, '.csv')));
        expectSameColumns(got.columns, got.order, expectedColumns(lines.descriptors.primary, lines.events.primary));
        expect(got.num_rows).toBe(lines.events.primary.length);
        expect(got.start).toEqual(lines.start);
        expect(got.stop).toEqual(lines.stop);
        expect(got.descriptor.data_keys).toEqual(lines.descriptors.primary.data_keys);
        const units = expectedUnits(lines.descriptors.primary, got.order);
        expect(Object.keys(units).length).toBeGreaterThan(0);
        for (const [col, u] of Object.entries(units)) expect(got.units[col], col).toBe(u);
      }
    });
  }

  it('records of clln 0.1.0 (no layout) read with the columns clln exports: readings by node from the task, no vc or alarm when device-stepped', async () => {
    for (const f of ['device-tap-interrupted-v0.1.0.jsonl', 'host-tap-complete-v0.1.0.jsonl']) {
      const rec = join(ROOT, 'test/store/legacy', f);
      const csv = join(dir, f.replace(/\.jsonl$/, '.csv'));
      await ok('export', rec, '--csv', csv);
      const got = await py<Record<string, Record<string, unknown[]>>>('tables', rec, true);
      expectMatchesCsv(got.primary, csvColumns(csv));
      const names = Object.keys(got.primary);
      expect(names.filter((n) => n.startsWith('inputs'))).toEqual(['inputs_0', 'inputs_3']);
      expect(names.includes('vf_9') && names.includes('vf_10')).toBe(true);
      expect(names.includes('alarm')).toBe(f.startsWith('host'));
    }
  });

  it('the evaluation stream reads as contract A writes it: one row per evaluation, test outputs by example and target, nulls', async () => {
    const got = await py<Record<string, Record<string, unknown[]>>>('tables', evalRec);
    const ev = got.evaluation;
    expect(Object.keys(ev)).toEqual(['seq_num', 'time', 'step', 'train_mse', 'test_mse', 'test_outputs_0_0', 'test_outputs_0_1', 'test_outputs_1_0', 'test_outputs_1_1', 'final']);
    expect(ev.step).toEqual(evals.map((e) => e.data.step));
    expect(ev.train_mse).toEqual(evals.map((e) => e.data.train_mse));
    expect(ev.test_mse).toEqual([0.03, 0.015, null, 0.0075]);
    expect(ev.test_outputs_1_1).toEqual([1e-9, 2e-9, null, 4e-9]);
    expect(ev.final).toEqual([false, false, false, true]);
    expect(got.primary.seq_num).toEqual(parseLines(sim).events.primary.map((e) => e.seq_num));
  });

  it('the command line summarises a record and an export: steps, final cost, evaluations; pandas not needed', async () => {
    const lines = parseLines(evalRec);
    const last = lines.events.primary[lines.events.primary.length - 1].data.cost as number;
    const r = await python(['-c', `import sys, runpy; sys.modules["pandas"] = None; sys.argv = ["clln_records.py", sys.argv[1]]; runpy.run_path(${JSON.stringify(LOADER)}, run_name="__main__")`, evalRec]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`steps\\s+${lines.events.primary.length} \\(`));
    // the recorded last cost, to the 6 significant digits printed
    const printed = Number(/final cost {2}(\S+) V\^2/.exec(r.stdout)?.[1]);
    expect(Math.abs(printed - last)).toBeLessThanOrEqual(5e-6 * Math.abs(last));
    expect(r.stdout).toMatch(/evaluations 4\n/);
    expect(r.stdout).toMatch(/\n\s+30\s+0\.00125\s+0\.0075\s+final\n/);
    const s = await py('summary', sim.replace(/\.jsonl$/, '.parquet'), true);
    expect(s.steps).toBe(30);
    expect(s.final_cost).toBe(parseLines(sim).events.primary[29].data.cost);
    expect(s.status).toBe('success');
  });

  it('bad input: exit 2 with one line naming the file, the place and the fix', async () => {
    const lines = readFileSync(sim, 'utf8').split('\n');
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, [lines[0], lines[1], '{"not": "a document"}', lines[3], ''].join('\n'));
    const notPq = join(dir, 'not.parquet');
    writeFileSync(notPq, 'PAR0 hello');
    // a flipped byte inside the first column's GZIP page (after PAR1 and its page header): the gzip CRC catches it
    const damaged = join(dir, 'damaged.parquet');
    const bytes = Buffer.from(contractB(B_COLUMNS, {}));
    bytes[40] ^= 0xff;
    writeFileSync(damaged, bytes);
    for (const [file, where] of [
      [broken, /broken\.jsonl: line 3: .*Check that this is a run record/],
      [notPq, /not\.parquet: file: does not start and end with PAR1\. This is not a Parquet file.*clln export/],
      [join(dir, 'missing.jsonl'), /missing\.jsonl: cannot read it/],
      [damaged, /damaged\.parquet: column seq_num: .*The file is damaged; export it again\.\n$/],
    ] as const) {
      const r = await python([LOADER, file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(where);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('a Parquet file to contract B (GZIP pages, TIMESTAMP(MICROS), units in the column metadata) reads exactly; hyparquet agrees', async () => {
    // the file is what contract B says: an independent reader finds the types and reads the values
    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const bytes = readFileSync(bFile);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const meta = parquetMetadata(ab);
    expect(meta.schema.find((s) => s.name === 'time')?.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    expect(meta.row_groups[0].columns.every((c) => c.meta_data?.codec === 'GZIP')).toBe(true);
    const rows = await parquetReadObjects({ file: ab, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) } });
    for (const c of B_COLUMNS) {
      if (c.type === 'timestamp') continue;
      const hv = rows.map((r) => (typeof r[c.name] === 'bigint' ? Number(r[c.name]) : r[c.name]));
      expect(hv, c.name).toEqual(c.values.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
    }

    for (const noPandas of [false, true]) {
      const got = await py('parquet', bFile, noPandas);
      expect(got.order).toEqual(B_COLUMNS.map((c) => c.name));
      for (const c of B_COLUMNS) {
        const want = c.type === 'timestamp' ? c.values.map((v) => ({ $us: Number(v) })) : c.values.map((v) => (typeof v === 'bigint' ? Number(v) : v));
        expect(got.columns[c.name], c.name).toEqual(want);
      }
      expect(Object.is(got.columns.cost[2], -0)).toBe(true);
      expect(got.schema.time).toEqual({ physical: 'INT64', logical: ['TIMESTAMP', 'MICROS', true], optional: false });
      expect(got.schema.k_sha256).toEqual({ physical: 'BYTE_ARRAY', logical: ['STRING'], optional: true });
      // column metadata first, then the file's clln.units
      expect(got.units).toEqual({ step: 'step', settings_0: 'tap', cost: 'V^2', vf_9: 'V' });
      expect([got.start, got.descriptor, got.stop]).toEqual([B_START, B_DESCRIPTOR, B_STOP]);
    }
  });

  describe.skipIf(!hasPandas)('with pandas', () => {
    it('record_frames: one DataFrame per stream, typed columns (nullable integers, UTC times), units in attrs', async () => {
      const lines = parseLines(evalRec);
      const got = await py('frames', evalRec);
      expect(Object.keys(got)).toEqual(['primary', 'evaluation']);
      for (const stream of ['primary', 'evaluation']) {
        const want = expectedColumns(lines.descriptors[stream], lines.events[stream]);
        expectSameColumns(got[stream].columns, got[stream].order, want);
        expect(got[stream].dtypes.time).toBe('datetime64[ns, UTC]');
        expect(got[stream].start).toEqual(lines.start);
      }
      expect(got.primary.dtypes).toMatchObject({ seq_num: 'int64', step: 'int64', cost: 'float64', k_sha256: 'object', conductance_0: 'float64' });
      expect(got.evaluation.dtypes).toMatchObject({ step: 'int64', train_mse: 'float64', test_mse: 'float64', test_outputs_0_0: 'float64', final: 'bool' });
      expect(got.evaluation.units).toMatchObject({ train_mse: 'V^2', test_mse: 'V^2', test_outputs_1_0: 'V' });
      expect(got.primary.units).toMatchObject({ cost: 'V^2', conductance_0: 'S' });

      const b = await py('frames', board);
      expect(b.primary.dtypes).toMatchObject({ vf_9: 'float64', settings_0: 'int64', alarm: 'bool', changed: 'int64' });
      expect(b.primary.units.vf_9).toBe('V');
    });

    it("parquet_frame and export_frames: clln's export and a contract-B file as DataFrames", async () => {
      const lines = parseLines(board);
      const got = await py('pframe', board.replace(/\.jsonl$/, '.parquet'));
      expectSameColumns(got.columns, got.order, expectedColumns(lines.descriptors.primary, lines.events.primary));
      expect(got.dtypes).toMatchObject({ time: 'datetime64[ns, UTC]', vf_9: 'float64', settings_0: 'int64', alarm: 'bool' });

      const b = await py('pframe', bFile);
      expect(b.dtypes).toEqual({ seq_num: 'int64', time: 'datetime64[ns, UTC]', step: 'int64', settings_0: 'int64', cost: 'float64', vf_9: 'float64', alarm: 'bool', ok: 'boolean', k_sha256: 'object' });
      expect(b.columns.time).toEqual(B_COLUMNS[1].values.map((v) => ({ $us: Number(v) })));
      expect(b.columns.ok).toEqual(B_COLUMNS[7].values);
      expect(b.units.vf_9).toBe('V');

      // an export's evaluation file beside it (clln writes one once it records evaluations: contract A)
      const e = await py('eframes', exported(evalRec, '.parquet'));
      expect(Object.keys(e)).toEqual(existsSync(exported(evalRec, '.parquet').replace(/\.parquet$/, '.evaluation.parquet')) ? ['primary', 'evaluation'] : ['primary']);
    });
  });

  it('without pandas the DataFrame functions say so, and what to use instead', async () => {
    for (const mode of ['frames', 'pframe']) {
      const got = await py(mode, mode === 'frames' ? sim : bFile, true);
      expect(got.error).toMatch(/^pandas is not installed, and (record_frames|parquet_frame) returns DataFrames\. Install it \(Debian: apt-get install python3-pandas.*record_tables\(\) or read_parquet\(\)/);
    }
  });

  describe('drive_twin.py over a served twin', () => {
    const served: ServingTwin[] = [];
    afterAll(async () => {
      for (const s of served) await s.close();
    });

    for (const name of ['penn-gen1', 'penn-gen2', 'clln-ref16']) {
      it(`${name}: asks ID and TOPO, measures, takes learning steps; what it reports is the board model's, and the twin agrees`, async () => {
        const model = JSON.parse(readFileSync(join(ROOT, `twins/models/${name}.json`), 'utf8'));
        const twin = await serveTwin({ board: name, seed: 0, ideal: true, protocol: '1.3' }); // the driver is a 1.3 host (it refuses 1.4, PROTOCOL.md 10)
        served.push(twin);
        const steps = 4;
        const r = await python([DRIVER, twin.path, '--steps', String(steps), '--json']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const got = JSON.parse(r.stdout);
        expect(got).toMatchObject({ board: name, fw: model.firmware, uid: String(model.uid), proto: '1.3', nodes: model.nodes, edges: model.edges.length });
        expect(got.topology).toEqual(model.edges);
        const e = model.edge;
        expect(got.edge[0]).toBe(e.kind);
        expect(got.edge.slice(1).map(Number)).toEqual(e.kind === 'tap' ? [e.taps] : [e.lo, e.hi]);
        expect(got.dac).toEqual([model.dac.lo, model.dac.hi]);
        // sources on nodes that have a drive channel, targets on nodes with a clamp channel, none both
        const sources = Object.keys(got.sources).map(Number);
        const targets = Object.keys(got.targets).map(Number);
        expect(sources.every((n) => model.drivable.includes(n)) && targets.every((n) => model.clampable.includes(n) && !sources.includes(n))).toBe(true);
        expect(got.meas).toHaveLength(model.nodes);
        // an ideal twin: a driven node reads its source voltage to within two ADC steps (plus the DAC's step)
        const lsb = (model.adc.hi - model.adc.lo) / 2 ** model.adc.bits + (model.dac.hi - model.dac.lo) / 2 ** model.dac.bits;
        for (const n of sources) expect(Math.abs(got.meas[n] - got.sources[n])).toBeLessThanOrEqual(2 * lsb);
        expect(got.steps).toHaveLength(steps);
        for (const s of got.steps) {
          expect(s.vf).toHaveLength(targets.length);
          // the board's count of changed edges is what EGET shows moved
          expect(s.moved).toBe(s.changed);
        }
        expect(got.steps.some((s: Doc) => s.changed > 0)).toBe(true);
        expect(got.board_steps).toBe(steps);
        const inRange = (x: string): boolean => (e.kind === 'tap' ? Number.isInteger(Number(x)) && Number(x) >= 0 && Number(x) < e.taps : Number(x) >= e.lo && Number(x) <= e.hi);
        expect(got.settings).toHaveLength(model.edges.length);
        expect(got.settings.every(inRange)).toBe(true);
        // PING ID STAT TOPO CLAMP SRC MEAS EGET, then STEP and EGET per step, STAT and SRC: each sent once
        expect(twin.stats.commands).toBe(8 + 2 * steps + 2);
      });
    }

    it('prints a report for people', async () => {
      const twin = await serveTwin({ board: 'penn-gen1', seed: 0, ideal: true, protocol: '1.3' });
      served.push(twin);
      const human = await python([DRIVER, twin.path, '--steps', '1']);
      expect(human.stderr).toBe('');
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^board penn-gen1 \(firmware clln-twin-1\.0\.0, protocol 1\.3, uid 5e1f0001, boot 1\)\n {2}16 nodes, 33 tap edges of 100 taps/);
      expect(human.stdout).toMatch(/step 1: free target voltages .* V; (\d+) edges changed \(EGET: \1 differ\)/);
      expect(human.stdout).toMatch(/the board counts 1 learning steps since boot/);
    });

    it('on a line that loses and garbles replies it retries the identical line: every step done once', async () => {
      const twin = await serveTwin({ board: 'penn-gen1', seed: 4, ideal: true, faults: 'garble=0.1,drop=0.1', protocol: '1.3' });
      served.push(twin);
      const steps = 6;
      const r = await python([DRIVER, twin.path, '--steps', String(steps), '--json', '--timeout', '0.3', '--retries', '10']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const got = JSON.parse(r.stdout);
      expect(twin.stats.droppedLines + twin.stats.garbledBytes).toBeGreaterThan(0);
      expect(got.board_steps).toBe(steps);
      for (const s of got.steps) expect(s.moved).toBe(s.changed);
    });

    it('says what is wrong: nobody answering (exit 1), a path that is not there (exit 2)', async () => {
      const silent = await python([
        '-c',
        'import os, subprocess, sys; m, s = os.openpty(); r = subprocess.run([sys.executable, sys.argv[1], os.ttyname(s), "--timeout", "0.2", "--retries", "1"], capture_output=True, text=True); print(r.returncode); print(r.stderr, end="")',
        DRIVER,
      ]);
      expect(silent.code).toBe(0);
      const [code, ...msg] = silent.stdout.split('\n');
      expect(code).toBe('1');
      expect(msg.join('\n')).toMatch(/^drive_twin: no reply to `PING` after 2 attempts of 0\.2 s on \/dev\/\S+\. Is a board or twin serving it/);
      const missing = await python([DRIVER, join(dir, 'no-such-tty')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/no-such-tty: cannot open it \(No such file or directory\)\. Give the path that `clln twin serve --pty` printed/);
    });
  });
});

if (!hasPython) {
  describe('examples/python', () => {
    it.skip(`skipped: no python3 (${PYTHON}); scripts/systemTools.mjs installs Debian's python3 and python3-pandas`, () => {});
  });
}

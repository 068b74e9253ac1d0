import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/store/documents.js';
import { exportCsv, runToCsv } from '../../src/store/exportCsv.js';
import { evaluationPath, evaluationRun, flattenRun } from '../../src/store/flatten.js';
import { exportParquet } from '../../src/store/parquet/exportParquet.js';
import { encodeParquet } from '../../src/store/parquet/writeParquet.js';
import { readRun } from '../../src/store/readRun.js';
import { RunWriter } from '../../src/store/RunWriter.js';
import { readParquet } from './parquetReader.js';
import { descriptorInput, startDoc, stepData, tempDir } from './helpers.js';

const dir = tempDir();

/** hyparquet reads GZIP pages through a decompressor it is given: node's, independent of the writer's code. */
const GZIP = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };

/** A tiny RFC 4180 parser for the tests (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (field += ch), i++;
    } else if (ch === '"' && field === '') (quoted = true), i++;
    else if (ch === ',') row.push(field), (field = ''), i++;
    else if (ch === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), (i += 2);
    else if (ch === '\r' || ch === '\n') throw new Error(`bare line break at ${i}`);
    else (field += ch), i++;
  }
  if (field !== '' || row.length > 0) throw new Error('last record lacks CRLF');
  return rows;
}

function record(events: Record<string, unknown>[], dataKeys: Record<string, { dtype: string }>): RunRecord {
  return {
    path: 'mem.jsonl',
    start: { uid: 's', time: 1 },
    descriptor: { uid: 'd', run_start: 's', time: 1, name: 'primary', data_keys: Object.fromEntries(Object.entries(dataKeys).map(([k, v]) => [k, { ...v, shape: [], source: 't' }])) as never },
    events: events.map((data, i) => ({ uid: `e${i}`, descriptor: 'd', time: 10 + i / 4, seq_num: i + 1, data: data as never, timestamps: {} })),
    torn: false,
    status: 'interrupted',
  };
}

const tricky = record(
  [
    { note: 'plain', v: [1, 2], n: 3, ok: true },
    { note: 'comma, "quoted"', v: [1.5, -2e-7, 9], n: 4, ok: false },
    { note: 'line\nbreak\r\nand\rcr', v: [], n: null, ok: true },
    { note: 'ünïcødé ✓', n: 5, ok: null, extra: { a: 1, b: [true, 'x'] } },
  ],
  { note: { dtype: 'string' }, v: { dtype: 'array' }, n: { dtype: 'integer' }, ok: { dtype: 'boolean' } },
);

describe('flattening', () => {
  it('columns: seq_num, time, data keys in descriptor order, arrays as key_i, later keys last; types from values', () => {
    const t = flattenRun(tricky);
    expect(t.columns.map((c) => `${c.name}:${c.kind}`)).toEqual([
      'seq_num:int64', 'time:timestamp', 'note:string', 'v_0:double', 'v_1:double', 'v_2:double', 'n:int64', 'ok:boolean', 'extra.a:double', 'extra.b_0:boolean', 'extra.b_1:string',
    ]);
    expect(t.columns[5].values).toEqual([null, 9, null, null]);
    expect(t.columns[6].values).toEqual([3, 4, null, 5]);
  });

  it('an integer key with a fractional value becomes double; a mixed column string', () => {
    const t = flattenRun(record([{ k: 1, m: 1 }, { k: 1.5, m: 'a' }], { k: { dtype: 'integer' }, m: { dtype: 'number' } }));
    expect(t.columns.slice(2).map((c) => c.kind)).toEqual(['double', 'string']);
    expect(t.columns[3].values).toEqual(['1', 'a']);
  });

  it('an array that lists its nodes is labelled by node; integer elements (dtype_numpy <i8) become int64', () => {
    const run = record([{ vf: [0.26, 0.21], taps: [49, 51] }], {});
    run.descriptor.data_keys = {
      vf: { dtype: 'array', shape: [2], source: 'board:STEP', units: 'V', dims: ['node'], nodes: [9, 10] },
      taps: { dtype: 'array', shape: [2], source: 'board', dims: ['edge'], dtype_numpy: '<i8' },
    };
    const t = flattenRun(run);
    expect(t.columns.map((c) => `${c.name}:${c.kind}`)).toEqual(['seq_num:int64', 'time:timestamp', 'vf_9:double', 'vf_10:double', 'taps_0:int64', 'taps_1:int64']);
    expect(t.columns[3].values).toEqual([0.21]);
    // a node list that does not match the shape is not used
    run.descriptor.data_keys.vf.nodes = [9];
    expect(flattenRun(run).columns[2].name).toBe('vf_0');
  });
});

describe('the evaluation stream beside the export (contract A)', () => {
  it('goes to OUT with .evaluation before the extension', () => {
    expect(evaluationPath('run.parquet')).toBe('run.evaluation.parquet');
    expect(evaluationPath('/a.b/run.csv')).toBe('/a.b/run.evaluation.csv');
    expect(evaluationPath('/a.b/run')).toBe('/a.b/run.evaluation');
    expect(evaluationPath('.hidden')).toBe('.hidden.evaluation');
  });

  it('is a table of its own: its descriptor, its events, its seq_num', () => {
    const run = record([{ cost: 1 }], { cost: { dtype: 'number' } });
    expect(evaluationRun(run)).toBeUndefined();
    run.evaluation = {
      descriptor: { uid: 'v', run_start: 's', time: 1, name: 'evaluation', data_keys: { step: { dtype: 'integer', shape: [], source: 'e' }, test_mse: { dtype: 'number', shape: [], source: 'e', units: 'V^2', nullable: true } } },
      events: [0, 5].map((step, i) => ({ uid: `v${i}`, descriptor: 'v', time: 20 + i, seq_num: i + 1, data: { step, test_mse: i === 0 ? null : 0.5 }, timestamps: {} })),
    };
    const t = flattenRun(evaluationRun(run)!);
    expect(t.columns.map((c) => [c.name, c.kind, c.units])).toEqual([
      ['seq_num', 'int64', undefined],
      ['time', 'timestamp', undefined],
      ['step', 'int64', undefined],
      ['test_mse', 'double', 'V^2'],
    ]);
    expect(t.columns[3].values).toEqual([null, 0.5]);
  });
});

describe('CSV export', () => {
  it('RFC 4180: CRLF records, quoted fields with commas, quotes and line breaks; empty for null', () => {
    const text = runToCsv(tricky);
    expect(text.split('\r\n')[0]).toBe('seq_num,time,note,v_0,v_1,v_2,n,ok,extra.a,extra.b_0,extra.b_1');
    expect(text).toContain('2,10.25,"comma, ""quoted""",1.5,-2e-7,9,4,false,,,\r\n');
    expect(text).toContain('"line\nbreak\r\nand\rcr"');
    const rows = parseCsv(text);
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(r).toHaveLength(11);
    expect(rows[2][2]).toBe('comma, "quoted"');
    expect(rows[3][2]).toBe('line\nbreak\r\nand\rcr');
    expect(rows[3].slice(3, 8)).toEqual(['', '', '', '', 'true']);
    expect(rows[4]).toEqual(['4', '10.75', 'ünïcødé ✓', '', '', '', '5', '', '1', 'true', 'x']);
  });

  it('a recorded run: numbers round-trip exactly', async () => {
    const path = join(dir, 'csv.jsonl');
    const w = RunWriter.create(path, startDoc(), descriptorInput());
    for (let i = 0; i < 20; i++) w.append(stepData(i));
    await w.stop('success');
    const out = join(dir, 'run.csv');
    const t = exportCsv(readRun(path), out);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(21);
    expect(rows[0]).toHaveLength(2 + 1 + 1 + 2 + 16 + 16 + 42 + 4);
    expect(rows[0].slice(0, 6)).toEqual(['seq_num', 'time', 'step', 'example', 'inputs_0', 'inputs_1']);
    expect(t.columns.map((c) => c.name)).toEqual(rows[0]);
    const col = (name: string) => rows[0].indexOf(name);
    for (let i = 0; i < 20; i++) {
      const d = stepData(i);
      expect(Number(rows[i + 1][col('seq_num')])).toBe(i + 1);
      expect(Number(rows[i + 1][col('vf_15')])).toBe((d.vf as number[])[15]);
      expect(Number(rows[i + 1][col('vc_3')])).toBe((d.vc as Float64Array)[3]);
      expect(Number(rows[i + 1][col('settings_41')])).toBe((d.settings as number[])[41]);
      expect(Number(rows[i + 1][col('cost')])).toBe(d.cost);
      expect(rows[i + 1][col('residual_max')]).toBe(i === 3 ? '' : String(d.residual_max));
      expect(rows[i + 1][col('alarm')]).toBe(String(d.alarm));
    }
  });
});

describe('Parquet export (read back by an independent reader)', () => {
  it('the tricky table: types, nulls (OPTIONAL columns), strings', () => {
    const out = join(dir, 'tricky.parquet');
    const t = exportParquet(tricky, out);
    const bytes = new Uint8Array(readFileSync(out));
    const p = readParquet(bytes);
    expect(p.numRows).toBe(4);
    expect(p.rowGroups).toBe(1);
    expect(p.version).toBe(1);
    expect(p.columns.map((c) => c.name)).toEqual(t.columns.map((c) => c.name));
    const byName = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    expect(byName.seq_num.physicalType).toBe(2); // INT64
    expect(byName.seq_num.repetition).toBe(0); // REQUIRED
    expect(byName.seq_num.values).toEqual([1n, 2n, 3n, 4n]);
    // contract B: time is an INT64 TIMESTAMP(isAdjustedToUTC, MICROS), converted type TIMESTAMP_MICROS (10)
    expect(byName.time.physicalType).toBe(2);
    expect(byName.time.convertedType).toBe(10);
    expect(byName.time.timestamp).toEqual({ utc: true, unit: 'MICROS' });
    expect(byName.time.values).toEqual([10_000_000n, 10_250_000n, 10_500_000n, 10_750_000n]);
    // every page GZIP-compressed (codec 2)
    expect(p.columns.map((c) => c.codec)).toEqual(p.columns.map(() => 2));
    expect(byName.note.physicalType).toBe(6); // BYTE_ARRAY
    expect(byName.note.convertedType).toBe(0); // UTF8
    expect(byName.note.logicalString).toBe(true);
    expect(byName.note.values).toEqual(['plain', 'comma, "quoted"', 'line\nbreak\r\nand\rcr', 'ünïcødé ✓']);
    expect(byName.v_1.repetition).toBe(1); // OPTIONAL
    expect(byName.v_1.values).toEqual([2, -2e-7, null, null]);
    expect(byName.n.values).toEqual([3n, 4n, null, 5n]);
    expect(byName.ok.physicalType).toBe(0); // BOOLEAN
    expect(byName.ok.values).toEqual([true, false, true, null]);
    expect(byName['extra.b_1'].values).toEqual([null, null, null, 'x']);
    expect(p.metadata['clln.start']).toBe(JSON.stringify(tricky.start));
    expect(JSON.parse(p.metadata['clln.descriptor']).uid).toBe('d');
    expect(p.metadata['clln.stop']).toBeUndefined();
  });

  it('a recorded run: every value equal to the CSV flattening', async () => {
    const path = join(dir, 'pq.jsonl');
    const w = RunWriter.create(path, startDoc(), descriptorInput());
    for (let i = 0; i < 300; i++) w.append(stepData(i));
    await w.stop('success', 'done');
    const run = readRun(path);
    const out = join(dir, 'run.parquet');
    const t = exportParquet(run, out);
    const p = readParquet(new Uint8Array(readFileSync(out)));
    expect(p.numRows).toBe(300);
    expect(p.createdBy).toBe('clln version 0.1.0');
    expect(JSON.parse(p.metadata['clln.stop']).reason).toBe('done');
    expect(p.columns).toHaveLength(t.columns.length);
    t.columns.forEach((c, k) => {
      const got = p.columns[k];
      expect(got.name).toBe(c.name);
      // time: epoch seconds in the table, integer microseconds in the file
      const want = c.name === 'time' ? c.values.map((v) => Math.round((v as number) * 1e6)) : c.values;
      expect(got.values.map((v) => (typeof v === 'bigint' ? Number(v) : v))).toEqual(want);
    });
    expect(p.columns.find((c) => c.name === 'residual_max')!.values[3]).toBeNull();
    expect(p.columns.find((c) => c.name === 'alarm')!.physicalType).toBe(0);
    expect(p.columns.find((c) => c.name === 'step')!.physicalType).toBe(2);
    expect(p.columns.find((c) => c.name === 'vf_0')!.physicalType).toBe(5);
  });

  it('edge cases: no rows (no row group), long lists (>= 15 schema elements), field-id jumps', () => {
    const empty = readParquet(encodeParquet([{ name: 'a', type: 'double', values: [] }]));
    expect(empty.numRows).toBe(0);
    expect(empty.rowGroups).toBe(0);
    expect(empty.columns.map((c) => c.name)).toEqual(['a']);
    const cols = Array.from({ length: 40 }, (_, k) => ({ name: `c${k}`, type: 'int64' as const, values: [k, -k, 2 ** 53 - 1, -(2 ** 53) + 1] }));
    const many = readParquet(encodeParquet(cols, { createdBy: 'x' }));
    expect(many.columns[39].values).toEqual([39n, -39n, 2n ** 53n - 1n, -(2n ** 53n) + 1n]);
    const bools = Array.from({ length: 21 }, (_, k) => k % 3 === 0);
    expect(readParquet(encodeParquet([{ name: 'b', type: 'boolean', values: bools }])).columns[0].values).toEqual(bools);
  });

  it('an independent reader reads it too (hyparquet, from npm: no Python or pyarrow needed)', async () => {
    const { parquetReadObjects } = await import('hyparquet');
    const out = join(dir, 'tricky-hy.parquet');
    exportParquet(tricky, out);
    const bytes = readFileSync(out);
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), compressors: GZIP });
    const col = (name: string): unknown[] => rows.map((r) => r[name]);
    expect(col('seq_num').map(Number)).toEqual([1, 2, 3, 4]);
    expect(col('note')).toEqual(['plain', 'comma, "quoted"', 'line\nbreak\r\nand\rcr', 'ünïcødé ✓']);
    expect(col('v_1')).toEqual([2, -2e-7, null, null]);
    expect(col('ok')).toEqual([true, false, true, null]);
    expect(col('extra.b_1')).toEqual([null, null, null, 'x']);
  });

  it('contract B, read by hyparquet: INT64 integers and taps, time a UTC timestamp in microseconds, units per column, GZIP', async () => {
    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const run = record([{ step: 0, taps: [49, 51], vf: [0.25, 0.125], cost: 0.5 }, { step: 1, taps: [48, 52], vf: [0.5, 0.375], cost: 0.25 }], {});
    run.descriptor.data_keys = {
      step: { dtype: 'integer', shape: [], source: 'host:engine' },
      taps: { dtype: 'array', shape: [2], source: 'board:edges', units: 'tap', dims: ['edge'], dtype_numpy: '<i8' },
      vf: { dtype: 'array', shape: [2], source: 'board:STEP', units: 'V', dims: ['node'], dtype_numpy: '<f8', nodes: [9, 10] },
      cost: { dtype: 'number', shape: [], source: 'host', units: 'V^2' },
    };
    run.events[0].time = 1_763_913_600.25; // 2025-11-23T16:00:00.250Z
    const out = join(dir, 'contract-b.parquet');
    exportParquet(run, out);
    const bytes = readFileSync(out);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const meta = parquetMetadata(file);
    const schema = Object.fromEntries(meta.schema.slice(1).map((s) => [s.name, s]));
    for (const c of ['seq_num', 'step', 'taps_0', 'taps_1', 'time']) expect(schema[c].type).toBe('INT64');
    for (const c of ['vf_9', 'vf_10', 'cost']) expect(schema[c].type).toBe('DOUBLE');
    expect(schema.time.converted_type).toBe('TIMESTAMP_MICROS');
    expect(schema.time.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    const chunks = meta.row_groups[0].columns.map((c) => c.meta_data!);
    expect(meta.row_groups).toHaveLength(1);
    expect(chunks.map((c) => c.codec)).toEqual(chunks.map(() => 'GZIP'));
    const units = Object.fromEntries(chunks.map((c) => [c.path_in_schema.join('.'), c.key_value_metadata?.find((kv) => kv.key === 'units')?.value]));
    expect(units).toEqual({ seq_num: undefined, time: undefined, step: undefined, taps_0: 'tap', taps_1: 'tap', vf_9: 'V', vf_10: 'V', cost: 'V^2' });
    const fileKv = Object.fromEntries((meta.key_value_metadata ?? []).map((kv) => [kv.key, kv.value]));
    expect(JSON.parse(fileKv['clln.units']!)).toEqual({ taps_0: 'tap', taps_1: 'tap', vf_9: 'V', vf_10: 'V', cost: 'V^2' });
    const rows = await parquetReadObjects({ file, compressors: GZIP });
    expect(rows[0].time).toBeInstanceOf(Date);
    expect((rows[0].time as Date).toISOString()).toBe('2025-11-23T16:00:00.250Z');
    expect(rows.map((r) => [r.step, r.taps_0, r.taps_1])).toEqual([
      [0n, 49n, 51n],
      [1n, 48n, 52n],
    ]);
    expect(rows.map((r) => r.vf_10)).toEqual([0.125, 0.375]);
  });
});

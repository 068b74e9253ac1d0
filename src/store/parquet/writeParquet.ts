/**
 * A minimal Parquet file writer (format 1, as in the Apache Parquet format specification; issue 15, contract B): flat
 * schema, one row group, one data page (v1) per column, PLAIN encoding, every page compressed with GZIP (a gzip
 * stream, node:zlib). Column types: DOUBLE, INT64, INT64 annotated as TIMESTAMP(isAdjustedToUTC, MICROS) (converted
 * type TIMESTAMP_MICROS: microseconds since the Unix epoch), BOOLEAN, and BYTE_ARRAY annotated as UTF8 / STRING. A
 * column without nulls is REQUIRED; a column with nulls is OPTIONAL and its page starts with definition levels (the
 * RLE/bit-packed hybrid, here RLE runs only, bit width 1, 4-byte length prefix). A column's units, when it has any,
 * are in its ColumnMetaData's key_value_metadata as `units`.
 *
 * File layout: `PAR1`, for each column a PageHeader (Thrift compact) and the page's compressed bytes, the
 * FileMetaData (Thrift compact), its length as a 4-byte little-endian integer, `PAR1`.
 */
import { gzipSync } from 'node:zlib';
import { Bytes, encodeStruct, i32, i64, list, str, struct, type TField, type TValue } from './thriftCompact.js';

/** Parquet physical types used here (values of the format's `Type` enum). */
export const ParquetType = { BOOLEAN: 0, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const Encoding = { PLAIN: 0, RLE: 3 } as const;
const Repetition = { REQUIRED: 0, OPTIONAL: 1 } as const;
const ConvertedType = { UTF8: 0, TIMESTAMP_MICROS: 10 } as const;
const PageType = { DATA_PAGE: 0 } as const;
const Codec = { UNCOMPRESSED: 0, GZIP: 2 } as const;

/** `timestamp`: INT64 microseconds since the Unix epoch (UTC), annotated as a timestamp. */
export type ParquetColumnType = 'double' | 'int64' | 'timestamp' | 'boolean' | 'string';

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  /** The column's units (e.g. `V`, `V^2`), kept in its ColumnMetaData key_value_metadata as `units`. */
  units?: string;
  /** One value per row; null marks a missing value (the column is then OPTIONAL). */
  values: readonly (number | boolean | string | null)[];
}

export interface ParquetOptions {
  /** `created_by` of the footer. */
  createdBy?: string;
  /** Key-value metadata of the file. */
  metadata?: Record<string, string>;
  /** Page compression (default gzip; `none` for tests of the layout). */
  compression?: 'gzip' | 'none';
}

const MAGIC = new TextEncoder().encode('PAR1');
const utf8 = new TextEncoder();

/** Encode a table as a Parquet file. All columns must have the same number of values. */
export function encodeParquet(columns: ParquetColumn[], opts: ParquetOptions = {}): Uint8Array {
  const rows = columns.length > 0 ? columns[0].values.length : 0;
  const names = new Set<string>();
  for (const c of columns) {
    if (c.values.length !== rows) throw new RangeError(`parquet: column ${c.name} has ${c.values.length} values, expected ${rows}`);
    if (names.has(c.name)) throw new RangeError(`parquet: duplicate column name ${c.name}`);
    names.add(c.name);
  }
  const gzip = (opts.compression ?? 'gzip') === 'gzip';
  const file = new Bytes();
  file.bytes(MAGIC);

  const chunks: TValue[] = [];
  let totalBytes = 0;
  const firstOffset = file.length;
  if (rows > 0) {
    for (const c of columns) {
      const optional = c.values.some((v) => v === null);
      const page = new Bytes();
      if (optional) writeDefinitionLevels(page, c.values);
      writePlain(page, c);
      const plain = page.result();
      // a data page v1 is compressed whole: definition levels and values
      const data = gzip ? new Uint8Array(gzipSync(plain)) : plain;
      const header = encodeStruct([
        [1, i32(PageType.DATA_PAGE)],
        [2, i32(plain.length)],
        [3, i32(data.length)],
        [
          5,
          struct(
            [1, i32(rows)],
            [2, i32(Encoding.PLAIN)],
            [3, i32(Encoding.RLE)],
            [4, i32(Encoding.RLE)],
          ),
        ],
      ]);
      const offset = file.length;
      file.bytes(header);
      file.bytes(data);
      const size = header.length + data.length;
      const uncompressed = header.length + plain.length;
      totalBytes += size;
      chunks.push(
        struct(
          [2, i64(offset)],
          [
            3,
            struct(
              [1, i32(physical(c.type))],
              [2, list('i32', optional ? [i32(Encoding.PLAIN), i32(Encoding.RLE)] : [i32(Encoding.PLAIN)])],
              [3, list('string', [str(c.name)])],
              [4, i32(gzip ? Codec.GZIP : Codec.UNCOMPRESSED)],
              [5, i64(rows)],
              [6, i64(uncompressed)],
              [7, i64(size)],
              [8, c.units !== undefined ? list('struct', [struct([1, str('units')], [2, str(c.units)])]) : undefined],
              [9, i64(offset)],
            ),
          ],
        ),
      );
    }
  }

  const schema: TValue[] = [struct([4, str('schema')], [5, i32(columns.length)])];
  for (const c of columns) {
    const fields: TField[] = [
      [1, i32(physical(c.type))],
      [3, i32(c.values.some((v) => v === null) ? Repetition.OPTIONAL : Repetition.REQUIRED)],
      [4, str(c.name)],
    ];
    if (c.type === 'string') {
      fields.push([6, i32(ConvertedType.UTF8)]);
      fields.push([10, struct([1, struct()])]); // LogicalType union: STRING (an empty StringType struct)
    } else if (c.type === 'timestamp') {
      fields.push([6, i32(ConvertedType.TIMESTAMP_MICROS)]);
      // LogicalType union field 8, TIMESTAMP: TimestampType {1: isAdjustedToUTC, 2: unit (TimeUnit union, 2: MICROS)}
      fields.push([10, struct([8, struct([1, { t: 'bool', v: true }], [2, struct([2, struct()])])])]);
    }
    schema.push(struct(...fields));
  }
  const rowGroups: TValue[] =
    rows > 0
      ? [struct([1, list('struct', chunks)], [2, i64(totalBytes)], [3, i64(rows)], [5, i64(firstOffset)], [6, i64(totalBytes)])]
      : [];
  const kv = Object.entries(opts.metadata ?? {}).map(([k, v]) => struct([1, str(k)], [2, str(v)]));
  const footer = encodeStruct([
    [1, i32(1)],
    [2, list('struct', schema)],
    [3, i64(rows)],
    [4, list('struct', rowGroups)],
    [5, kv.length > 0 ? list('struct', kv) : undefined],
    [6, opts.createdBy !== undefined ? str(opts.createdBy) : undefined],
  ]);
  file.bytes(footer);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, footer.length, true);
  file.bytes(len);
  file.bytes(MAGIC);
  return file.result();
}

function physical(t: ParquetColumnType): number {
  return t === 'double' ? ParquetType.DOUBLE : t === 'int64' || t === 'timestamp' ? ParquetType.INT64 : t === 'boolean' ? ParquetType.BOOLEAN : ParquetType.BYTE_ARRAY;
}

/** Definition levels (1 present, 0 null) as RLE runs of the hybrid encoding, bit width 1, with a 4-byte length prefix. */
function writeDefinitionLevels(page: Bytes, values: readonly unknown[]): void {
  const runs = new Bytes();
  let i = 0;
  while (i < values.length) {
    const level = values[i] === null ? 0 : 1;
    let j = i + 1;
    while (j < values.length && (values[j] === null ? 0 : 1) === level) j++;
    runs.varint(BigInt(j - i) << 1n); // RLE run header: count << 1, low bit 0
    runs.byte(level); // the repeated value in ceil(bitWidth / 8) = 1 byte
    i = j;
  }
  const body = runs.result();
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, body.length, true);
  page.bytes(len);
  page.bytes(body);
}

/** PLAIN-encoded non-null values of a column. */
function writePlain(page: Bytes, c: ParquetColumn): void {
  const present = c.values.filter((v) => v !== null);
  switch (c.type) {
    case 'double': {
      const b = new Uint8Array(8 * present.length);
      const dv = new DataView(b.buffer);
      present.forEach((v, k) => dv.setFloat64(8 * k, expect(c, v, 'number'), true));
      page.bytes(b);
      return;
    }
    case 'int64':
    case 'timestamp': {
      const b = new Uint8Array(8 * present.length);
      const dv = new DataView(b.buffer);
      present.forEach((v, k) => {
        const x = expect(c, v, 'number');
        if (!Number.isSafeInteger(x)) throw new RangeError(`parquet: column ${c.name}: ${x} is not a safe integer`);
        dv.setBigInt64(8 * k, BigInt(x), true);
      });
      page.bytes(b);
      return;
    }
    case 'boolean': {
      const b = new Uint8Array(Math.ceil(present.length / 8));
      present.forEach((v, k) => {
        if (expect(c, v, 'boolean')) b[k >> 3] |= 1 << (k & 7);
      });
      page.bytes(b);
      return;
    }
    case 'string': {
      const len = new Uint8Array(4);
      const dv = new DataView(len.buffer);
      for (const v of present) {
        const s = utf8.encode(expect(c, v, 'string'));
        dv.setUint32(0, s.length, true);
        page.bytes(len);
        page.bytes(s);
      }
      return;
    }
  }
}

function expect<K extends 'number' | 'boolean' | 'string'>(c: ParquetColumn, v: unknown, kind: K): K extends 'number' ? number : K extends 'boolean' ? boolean : string {
  if (typeof v !== kind) throw new TypeError(`parquet: column ${c.name} (${c.type}) holds ${JSON.stringify(v)}`);
  return v as never;
}

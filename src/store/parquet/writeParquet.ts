/**
 * A minimal Parquet file writer (format 1, as in the Apache Parquet format specification; issue 15, contract B): flat
 * schema, PLAIN encoding, data pages (v1) compressed with GZIP (a gzip stream, node:zlib). Column types: DOUBLE,
 * INT64, INT64 annotated as TIMESTAMP(isAdjustedToUTC, MICROS) (converted type TIMESTAMP_MICROS: microseconds since the
 * Unix epoch), BOOLEAN, and BYTE_ARRAY annotated as UTF8 / STRING. An OPTIONAL column's pages start with definition
 * levels (the RLE/bit-packed hybrid, here RLE runs only, bit width 1, 4-byte length prefix). A column's units, when it
 * has any, are in its ColumnMetaData's key_value_metadata as `units`.
 *
 * Two ways in: {@link encodeParquet}, a whole table in memory as one row group with one page per column (a column
 * with a null is OPTIONAL, else REQUIRED); {@link ParquetFileWriter}, rows streamed to a file as many row groups of
 * one page per column, with the nullability declared up front (issue 16: ensemble tables of millions of rows).
 *
 * File layout: `PAR1`, then per row group and column a PageHeader (Thrift compact) and the page's compressed bytes,
 * the FileMetaData (Thrift compact), its length as a 4-byte little-endian integer, `PAR1`.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileError } from '../../errors.js';
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

/** A column as the schema declares it: every row group of a file must agree, so nullability is fixed up front. */
export interface ParquetColumnSpec {
  name: string;
  type: ParquetColumnType;
  units?: string;
  /** OPTIONAL (may hold nulls; pages carry definition levels) or REQUIRED. */
  optional: boolean;
}

type Value = number | boolean | string | null;

/** Encode a table as a Parquet file (one row group). All columns must have the same number of values. */
export function encodeParquet(columns: ParquetColumn[], opts: ParquetOptions = {}): Uint8Array {
  const rows = columns.length > 0 ? columns[0].values.length : 0;
  checkNames(columns);
  for (const c of columns) {
    if (c.values.length !== rows) throw new RangeError(`parquet: column ${c.name} has ${c.values.length} values, expected ${rows}`);
  }
  const specs: ParquetColumnSpec[] = columns.map((c) => ({ name: c.name, type: c.type, units: c.units, optional: c.values.some((v) => v === null) }));
  const gzip = (opts.compression ?? 'gzip') === 'gzip';
  const file = new Bytes();
  file.bytes(MAGIC);
  const rowGroups: TValue[] = [];
  if (rows > 0) {
    const group = encodeRowGroup(specs, columns.map((c) => c.values), rows, gzip, file.length);
    for (const part of group.parts) file.bytes(part);
    rowGroups.push(group.meta);
  }
  file.bytes(encodeFooter(specs, rowGroups, rows, opts));
  return file.result();
}

function checkNames(columns: readonly { name: string }[]): void {
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) throw new RangeError(`parquet: duplicate column name ${c.name}`);
    names.add(c.name);
  }
}

/**
 * One row group: for each column a PageHeader and one data page (v1, PLAIN, definition levels first when OPTIONAL),
 * starting at byte `offset` of the file. Returns the bytes in file order and the RowGroup metadata.
 */
function encodeRowGroup(specs: readonly ParquetColumnSpec[], values: readonly (readonly Value[])[], rows: number, gzip: boolean, offset: number): { parts: Uint8Array[]; meta: TValue } {
  const parts: Uint8Array[] = [];
  const chunks: TValue[] = [];
  let totalBytes = 0;
  const firstOffset = offset;
  specs.forEach((c, k) => {
    const vals = values[k];
    const page = new Bytes();
    if (c.optional) writeDefinitionLevels(page, vals);
    else if (vals.some((v) => v === null)) throw new RangeError(`parquet: column ${c.name} is REQUIRED but holds a null`);
    writePlain(page, c, vals);
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
    const at = offset;
    parts.push(header, data);
    const size = header.length + data.length;
    const uncompressed = header.length + plain.length;
    offset += size;
    totalBytes += size;
    chunks.push(
      struct(
        [2, i64(at)],
        [
          3,
          struct(
            [1, i32(physical(c.type))],
            [2, list('i32', c.optional ? [i32(Encoding.PLAIN), i32(Encoding.RLE)] : [i32(Encoding.PLAIN)])],
            [3, list('string', [str(c.name)])],
            [4, i32(gzip ? Codec.GZIP : Codec.UNCOMPRESSED)],
            [5, i64(rows)],
            [6, i64(uncompressed)],
            [7, i64(size)],
            [8, c.units !== undefined ? list('struct', [struct([1, str('units')], [2, str(c.units)])]) : undefined],
            [9, i64(at)],
          ),
        ],
      ),
    );
  });
  const meta = struct([1, list('struct', chunks)], [2, i64(totalBytes)], [3, i64(rows)], [5, i64(firstOffset)], [6, i64(totalBytes)]);
  return { parts, meta };
}

/** The FileMetaData, its 4-byte little-endian length and the closing `PAR1`. */
function encodeFooter(specs: readonly ParquetColumnSpec[], rowGroups: TValue[], rows: number, opts: ParquetOptions): Uint8Array {
  const schema: TValue[] = [struct([4, str('schema')], [5, i32(specs.length)])];
  for (const c of specs) {
    const fields: TField[] = [
      [1, i32(physical(c.type))],
      [3, i32(c.optional ? Repetition.OPTIONAL : Repetition.REQUIRED)],
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
  const kv = Object.entries(opts.metadata ?? {}).map(([k, v]) => struct([1, str(k)], [2, str(v)]));
  const footer = encodeStruct([
    [1, i32(1)],
    [2, list('struct', schema)],
    [3, i64(rows)],
    [4, list('struct', rowGroups)],
    [5, kv.length > 0 ? list('struct', kv) : undefined],
    [6, opts.createdBy !== undefined ? str(opts.createdBy) : undefined],
  ]);
  const out = new Uint8Array(footer.length + 8);
  out.set(footer);
  new DataView(out.buffer).setUint32(footer.length, footer.length, true);
  out.set(MAGIC, footer.length + 4);
  return out;
}

/** Default rows per row group of a streamed file: 2^17, about 1 MiB per column chunk of 8-byte values. */
export const DEFAULT_ROW_GROUP_ROWS = 1 << 17;

export interface ParquetStreamOptions extends ParquetOptions {
  /** Rows buffered before they are written as one row group (default {@link DEFAULT_ROW_GROUP_ROWS}). */
  rowGroupRows?: number;
}

/**
 * A Parquet file written row group by row group, so that a table of any length is written in bounded memory (the
 * buffered rows of one row group plus the footer's metadata, a few hundred bytes per row group). Rows are appended
 * one at a time; every `rowGroupRows` rows become a row group (one data page per column), written straight to a
 * temporary file beside `path`. {@link close} writes the footer and renames the file into place, so a reader never
 * sees half a file; {@link abort} deletes it. The same layout as {@link encodeParquet} otherwise.
 */
export class ParquetFileWriter {
  private readonly tmp: string;
  private fd: number | null;
  private offset = 0;
  private rows = 0;
  private readonly rowGroups: TValue[] = [];
  private readonly buffer: Value[][];
  private buffered = 0;
  private readonly rowGroupRows: number;
  private readonly gzip: boolean;

  /**
   * @throws InvalidInputError when the directory does not exist, IoError when the file cannot be written (fileError)
   */
  constructor(
    readonly path: string,
    private readonly specs: readonly ParquetColumnSpec[],
    private readonly opts: ParquetStreamOptions = {},
  ) {
    checkNames(specs);
    this.rowGroupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    if (!(Number.isInteger(this.rowGroupRows) && this.rowGroupRows >= 1)) throw new RangeError(`parquet: rowGroupRows must be an integer >= 1, got ${this.rowGroupRows}`);
    this.gzip = (opts.compression ?? 'gzip') === 'gzip';
    this.buffer = specs.map(() => []);
    this.tmp = `${path}.tmp-${process.pid}`;
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw fileError(e, path, 'write the file', 'check that the directory exists and is writable');
    }
    this.write(MAGIC);
  }

  /** Append one row: one value per column, in schema order (the array is copied, so callers may reuse it). */
  appendRow(row: readonly Value[]): void {
    if (row.length !== this.specs.length) throw new RangeError(`parquet: a row of ${row.length} values for ${this.specs.length} columns`);
    for (let k = 0; k < row.length; k++) this.buffer[k].push(row[k]);
    if (++this.buffered >= this.rowGroupRows) this.flush();
  }

  /** Write the buffered rows as a row group (nothing when none are buffered). */
  flush(): void {
    if (this.buffered === 0) return;
    const group = encodeRowGroup(this.specs, this.buffer, this.buffered, this.gzip, this.offset);
    for (const part of group.parts) this.write(part);
    this.rowGroups.push(group.meta);
    this.rows += this.buffered;
    this.buffered = 0;
    for (let k = 0; k < this.buffer.length; k++) this.buffer[k] = [];
  }

  /** Rows appended so far. */
  get rowCount(): number {
    return this.rows + this.buffered;
  }

  /** Write the last row group and the footer, and move the file into place. */
  close(): void {
    this.flush();
    this.write(encodeFooter(this.specs, this.rowGroups, this.rows, this.opts));
    const fd = this.fd!;
    this.fd = null;
    try {
      closeSync(fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw fileError(e, this.path, 'write the file', 'check that the directory exists and is writable');
    }
  }

  /** Give up: close and delete the temporary file (the file at `path`, if any, is untouched). */
  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // never created or already moved
    }
  }

  private write(b: Uint8Array): void {
    if (this.fd === null) throw new Error(`parquet: ${this.path} is closed`);
    try {
      let done = 0;
      while (done < b.length) done += writeSync(this.fd, b, done, b.length - done);
    } catch (e) {
      this.abort();
      throw fileError(e, this.path, 'write the file', 'check that the disk has room and the directory is writable');
    }
    this.offset += b.length;
  }
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
function writePlain(page: Bytes, c: ParquetColumnSpec, values: readonly Value[]): void {
  const present = values.filter((v) => v !== null);
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

function expect<K extends 'number' | 'boolean' | 'string'>(c: ParquetColumnSpec, v: unknown, kind: K): K extends 'number' ? number : K extends 'boolean' ? boolean : string {
  if (typeof v !== kind) throw new TypeError(`parquet: column ${c.name} (${c.type}) holds ${JSON.stringify(v)}`);
  return v as never;
}

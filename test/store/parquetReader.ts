/**
 * An independent Parquet reader for the tests, written from the format specification and sharing no code with
 * src/store/parquet: a generic Thrift compact-protocol decoder (it decodes any struct into a map from field id to
 * value, knowing nothing of Parquet's structs), then FileMetaData / PageHeader fields picked out by their ids, and
 * PLAIN values (with RLE/bit-packed definition levels) decoded from each column chunk's data pages.
 */
import { gunzipSync } from 'node:zlib';

export type Thrift = number | bigint | boolean | Uint8Array | Thrift[] | Map<number, Thrift>;

class Cursor {
  pos: number;
  constructor(
    readonly b: Uint8Array,
    pos = 0,
  ) {
    this.pos = pos;
  }
  u8(): number {
    if (this.pos >= this.b.length) throw new Error('thrift: read past the end');
    return this.b[this.pos++];
  }
  uvarint(): bigint {
    let shift = 0n;
    let out = 0n;
    for (;;) {
      const x = this.u8();
      out |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) return out;
      shift += 7n;
      if (shift > 70n) throw new Error('thrift: varint too long');
    }
  }
  zigzag(): bigint {
    const u = this.uvarint();
    return (u & 1n) === 0n ? u >> 1n : -((u + 1n) >> 1n);
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new Error('thrift: binary past the end');
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

/** Read one value of compact type `type`. i16/i32 come back as numbers, i64 as bigint. */
function readValue(c: Cursor, type: number): Thrift {
  switch (type) {
    case 1:
      return true;
    case 2:
      return false;
    case 3:
      return c.u8();
    case 4:
    case 5:
      return Number(c.zigzag());
    case 6:
      return c.zigzag();
    case 7: {
      const v = new DataView(c.take(8).slice().buffer).getFloat64(0, true);
      return v;
    }
    case 8:
      return c.take(Number(c.uvarint()));
    case 9:
    case 10: {
      const h = c.u8();
      let n = h >> 4;
      const et = h & 0x0f;
      if (n === 15) n = Number(c.uvarint());
      const out: Thrift[] = [];
      for (let i = 0; i < n; i++) {
        // in a list, booleans are one byte each (1 true, otherwise false)
        out.push(et === 1 || et === 2 ? c.u8() === 1 : readValue(c, et));
      }
      return out;
    }
    case 12:
      return readStructAt(c);
    default:
      throw new Error(`thrift: unsupported compact type ${type}`);
  }
}

function readStructAt(c: Cursor): Map<number, Thrift> {
  const m = new Map<number, Thrift>();
  let last = 0;
  for (;;) {
    const h = c.u8();
    if (h === 0) return m;
    const type = h & 0x0f;
    const delta = h >> 4;
    const id = delta === 0 ? Number(c.zigzag()) : last + delta;
    m.set(id, readValue(c, type));
    last = id;
  }
}

/** Decode a struct at `offset`; returns it and the offset after it. */
export function readStruct(b: Uint8Array, offset = 0): { value: Map<number, Thrift>; end: number } {
  const c = new Cursor(b, offset);
  const value = readStructAt(c);
  return { value, end: c.pos };
}

const text = new TextDecoder('utf-8', { fatal: true });

function f<T extends Thrift>(m: Map<number, Thrift>, id: number): T {
  if (!m.has(id)) throw new Error(`parquet: required field ${id} missing`);
  return m.get(id) as T;
}

export interface ReadColumn {
  name: string;
  physicalType: number;
  repetition: number;
  convertedType?: number;
  logicalString: boolean;
  /** LogicalType TIMESTAMP: isAdjustedToUTC and the unit (MILLIS, MICROS, NANOS), when annotated. */
  timestamp?: { utc: boolean; unit: 'MILLIS' | 'MICROS' | 'NANOS' };
  /** The chunk's compression codec (0 UNCOMPRESSED, 2 GZIP) and its ColumnMetaData key-value metadata. */
  codec?: number;
  columnMetadata: Record<string, string>;
  values: (number | bigint | boolean | string | null)[];
}

export interface ReadParquet {
  numRows: number;
  version: number;
  createdBy?: string;
  metadata: Record<string, string>;
  columns: ReadColumn[];
  rowGroups: number;
}

/** Parse a whole Parquet file (flat schema, PLAIN, data pages v1 uncompressed or GZIP). */
export function readParquet(file: Uint8Array): ReadParquet {
  const magic = (o: number) => text.decode(file.subarray(o, o + 4));
  if (file.length < 12 || magic(0) !== 'PAR1' || magic(file.length - 4) !== 'PAR1') throw new Error('parquet: bad magic');
  const footerLen = new DataView(file.buffer, file.byteOffset + file.length - 8, 4).getUint32(0, true);
  const footerStart = file.length - 8 - footerLen;
  const { value: meta, end } = readStruct(file, footerStart);
  if (end !== file.length - 8) throw new Error(`parquet: footer decoded to ${end}, expected ${file.length - 8}`);

  const schema = f<Map<number, Thrift>[]>(meta, 2);
  const root = schema[0];
  const nChildren = f<number>(root, 5);
  if (schema.length !== nChildren + 1) throw new Error('parquet: schema is not flat');
  const numRows = Number(f<bigint>(meta, 3));
  const leaves: ReadColumn[] = schema.slice(1).map((s) => ({
    name: text.decode(f<Uint8Array>(s, 4)),
    physicalType: f<number>(s, 1),
    repetition: f<number>(s, 3),
    convertedType: s.get(6) as number | undefined,
    logicalString: s.has(10) && (s.get(10) as Map<number, Thrift>).has(1),
    timestamp: timestampOf(s.get(10) as Map<number, Thrift> | undefined),
    columnMetadata: {},
    values: [],
  }));

  const rowGroups = f<Map<number, Thrift>[]>(meta, 4);
  for (const rg of rowGroups) {
    const rgRows = Number(f<bigint>(rg, 3));
    const chunks = f<Map<number, Thrift>[]>(rg, 1);
    if (chunks.length !== leaves.length) throw new Error('parquet: column chunk count differs from the schema');
    chunks.forEach((chunk, ci) => {
      const cm = f<Map<number, Thrift>>(chunk, 3);
      const col = leaves[ci];
      const path = f<Uint8Array[]>(cm, 3).map((p) => text.decode(p));
      if (path.join('.') !== col.name) throw new Error(`parquet: chunk path ${path} is not ${col.name}`);
      if (f<number>(cm, 1) !== col.physicalType) throw new Error('parquet: chunk type differs from the schema');
      const codec = f<number>(cm, 4);
      if (codec !== 0 && codec !== 2) throw new Error(`parquet: codec ${codec} is not read here (UNCOMPRESSED or GZIP)`);
      col.codec = codec;
      for (const kv of (cm.get(8) as Map<number, Thrift>[] | undefined) ?? []) col.columnMetadata[text.decode(f<Uint8Array>(kv, 1))] = kv.has(2) ? text.decode(kv.get(2) as Uint8Array) : '';
      const numValues = Number(f<bigint>(cm, 5));
      const totalSize = Number(f<bigint>(cm, 7));
      let pos = Number(f<bigint>(cm, 9));
      const chunkEnd = pos + totalSize;
      let got = 0;
      while (got < numValues) {
        const { value: ph, end: dataStart } = readStruct(file, pos);
        if (f<number>(ph, 1) !== 0) throw new Error('parquet: only DATA_PAGE pages are read here');
        const size = f<number>(ph, 3);
        if (codec === 0 && f<number>(ph, 2) !== size) throw new Error('parquet: page sizes differ for an uncompressed page');
        const dph = f<Map<number, Thrift>>(ph, 5);
        const n = f<number>(dph, 1);
        if (f<number>(dph, 2) !== 0) throw new Error('parquet: only PLAIN values are read here');
        const stored = file.subarray(dataStart, dataStart + size);
        // GZIP: a gzip stream (RFC 1952), as Python's gzip.decompress reads it
        const page = codec === 2 ? new Uint8Array(gunzipSync(stored)) : stored;
        if (page.length !== f<number>(ph, 2)) throw new Error(`parquet: page of ${col.name} is ${page.length} bytes, its header says ${f<number>(ph, 2)}`);
        col.values.push(...decodePage(page, n, col));
        got += n;
        pos = dataStart + size;
      }
      if (pos !== chunkEnd) throw new Error(`parquet: chunk ${col.name} ends at ${pos}, metadata says ${chunkEnd}`);
      if (got !== rgRows) throw new Error(`parquet: chunk ${col.name} holds ${got} values, row group ${rgRows}`);
    });
  }

  const metadata: Record<string, string> = {};
  for (const kv of (meta.get(5) as Map<number, Thrift>[] | undefined) ?? []) {
    metadata[text.decode(f<Uint8Array>(kv, 1))] = kv.has(2) ? text.decode(kv.get(2) as Uint8Array) : '';
  }
  return {
    numRows,
    version: f<number>(meta, 1),
    createdBy: meta.has(6) ? text.decode(meta.get(6) as Uint8Array) : undefined,
    metadata,
    columns: leaves,
    rowGroups: rowGroups.length,
  };
}

/** The TIMESTAMP logical type (LogicalType union field 8: {1: isAdjustedToUTC, 2: TimeUnit union}), if any. */
function timestampOf(logical: Map<number, Thrift> | undefined): ReadColumn['timestamp'] {
  const ts = logical?.get(8) as Map<number, Thrift> | undefined;
  if (!ts) return undefined;
  const unit = f<Map<number, Thrift>>(ts, 2);
  return { utc: f<boolean>(ts, 1), unit: unit.has(1) ? 'MILLIS' : unit.has(2) ? 'MICROS' : 'NANOS' };
}

/** Decode one data page v1 of a flat column: definition levels when OPTIONAL, then PLAIN values. */
function decodePage(page: Uint8Array, n: number, col: ReadColumn): (number | bigint | boolean | string | null)[] {
  let pos = 0;
  let defined: boolean[] = new Array(n).fill(true);
  if (col.repetition === 1) {
    const len = new DataView(page.buffer, page.byteOffset, 4).getUint32(0, true);
    defined = decodeHybridBitWidth1(page.subarray(4, 4 + len), n).map((x) => x === 1);
    pos = 4 + len;
  } else if (col.repetition !== 0) throw new Error('parquet: repeated columns are not read here');
  const count = defined.filter(Boolean).length;
  const dv = new DataView(page.buffer, page.byteOffset, page.length);
  const vals: (number | bigint | boolean | string)[] = [];
  for (let k = 0; k < count; k++) {
    switch (col.physicalType) {
      case 5:
        vals.push(dv.getFloat64(pos, true));
        pos += 8;
        break;
      case 2:
        vals.push(dv.getBigInt64(pos, true));
        pos += 8;
        break;
      case 0:
        vals.push(((page[pos + (k >> 3)] >> (k & 7)) & 1) === 1);
        break;
      case 6: {
        const len = dv.getUint32(pos, true);
        vals.push(text.decode(page.subarray(pos + 4, pos + 4 + len)));
        pos += 4 + len;
        break;
      }
      default:
        throw new Error(`parquet: physical type ${col.physicalType} not read here`);
    }
  }
  if (col.physicalType === 0) pos += Math.ceil(count / 8);
  if (pos !== page.length) throw new Error(`parquet: page of ${col.name} has ${page.length - pos} bytes left over`);
  let next = 0;
  return defined.map((d) => (d ? vals[next++] : null));
}

/** RLE / bit-packing hybrid, bit width 1: both run kinds. */
function decodeHybridBitWidth1(b: Uint8Array, n: number): number[] {
  const c = new Cursor(b);
  const out: number[] = [];
  while (out.length < n) {
    const header = Number(c.uvarint());
    if ((header & 1) === 0) {
      const count = header >> 1;
      const v = c.u8();
      for (let i = 0; i < count; i++) out.push(v);
    } else {
      const groups = header >> 1;
      for (let g = 0; g < groups; g++) {
        const byte = c.u8();
        for (let i = 0; i < 8; i++) out.push((byte >> i) & 1);
      }
    }
  }
  if (c.pos !== b.length) throw new Error('parquet: definition levels have bytes left over');
  return out.slice(0, n);
}

/**
 * Encoder for the Thrift compact protocol, enough for Parquet's footer (FileMetaData) and page headers:
 * structs, lists, i16/i32/i64, binary/string and bool fields. Values are described as a small tree
 * ({@link TValue}) and encoded by {@link encodeStruct}.
 *
 * Wire format (Thrift compact protocol specification): a field header is one byte `(delta << 4) | type` when
 * the field id is 1..15 above the previous field's, else the type byte followed by the id as a zigzag varint;
 * integers are zigzag varints; binary is a varint length and the bytes; a list header is `(size << 4) | elemType`
 * for sizes below 15, else `0xF0 | elemType` and a varint size; bool fields carry their value in the type
 * (1 true, 2 false); a struct ends with a 0 byte.
 */

/** Compact-protocol type codes. */
export const CT = {
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

/** A Thrift value to encode. */
export type TValue =
  | { t: 'bool'; v: boolean }
  | { t: 'i16'; v: number }
  | { t: 'i32'; v: number }
  | { t: 'i64'; v: number | bigint }
  | { t: 'binary'; v: Uint8Array }
  | { t: 'string'; v: string }
  | { t: 'struct'; fields: TField[] }
  | { t: 'list'; elem: 'i32' | 'i64' | 'binary' | 'string' | 'struct'; items: TValue[] };

/** A struct field: id and value; undefined values (absent optional fields) are skipped. */
export type TField = [id: number, value: TValue | undefined];

export const i32 = (v: number): TValue => ({ t: 'i32', v });
export const i64 = (v: number | bigint): TValue => ({ t: 'i64', v });
export const str = (v: string): TValue => ({ t: 'string', v });
export const struct = (...fields: TField[]): TValue => ({ t: 'struct', fields });
export const list = (elem: 'i32' | 'i64' | 'binary' | 'string' | 'struct', items: TValue[]): TValue => ({ t: 'list', elem, items });

/** Growable byte buffer. */
export class Bytes {
  buf = new Uint8Array(256);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
  byte(x: number): void {
    this.reserve(1);
    this.buf[this.length++] = x & 0xff;
  }
  bytes(x: Uint8Array): void {
    this.reserve(x.length);
    this.buf.set(x, this.length);
    this.length += x.length;
  }
  /** Unsigned LEB128 varint of a non-negative integer (bigint for 64-bit values). */
  varint(x: bigint): void {
    let v = x;
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function zigzag(v: number | bigint, bits: 16 | 32 | 64): bigint {
  const n = BigInt(v);
  const lo = -(1n << BigInt(bits - 1));
  const hi = (1n << BigInt(bits - 1)) - 1n;
  if (n < lo || n > hi) throw new RangeError(`thrift: ${v} does not fit in i${bits}`);
  return n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
}

const utf8 = new TextEncoder();

function typeCode(v: TValue): number {
  switch (v.t) {
    case 'bool':
      return v.v ? CT.TRUE : CT.FALSE;
    case 'i16':
      return CT.I16;
    case 'i32':
      return CT.I32;
    case 'i64':
      return CT.I64;
    case 'binary':
    case 'string':
      return CT.BINARY;
    case 'struct':
      return CT.STRUCT;
    case 'list':
      return CT.LIST;
  }
}

const elemCode = { i32: CT.I32, i64: CT.I64, binary: CT.BINARY, string: CT.BINARY, struct: CT.STRUCT } as const;

/** Encode a value (not a field header). Bools are only supported as struct fields (their value is in the header). */
function writeValue(out: Bytes, v: TValue): void {
  switch (v.t) {
    case 'bool':
      throw new Error('thrift: bool outside a struct field is not supported');
    case 'i16':
      out.varint(zigzag(v.v, 16));
      return;
    case 'i32':
      out.varint(zigzag(v.v, 32));
      return;
    case 'i64':
      out.varint(zigzag(v.v, 64));
      return;
    case 'binary':
      out.varint(BigInt(v.v.length));
      out.bytes(v.v);
      return;
    case 'string': {
      const b = utf8.encode(v.v);
      out.varint(BigInt(b.length));
      out.bytes(b);
      return;
    }
    case 'struct':
      writeStruct(out, v.fields);
      return;
    case 'list': {
      const et = elemCode[v.elem];
      const n = v.items.length;
      if (n < 15) out.byte((n << 4) | et);
      else {
        out.byte(0xf0 | et);
        out.varint(BigInt(n));
      }
      for (const item of v.items) {
        const binaryLike = (t: string) => t === 'binary' || t === 'string';
        if (item.t !== v.elem && !(binaryLike(item.t) && binaryLike(v.elem))) {
          throw new Error(`thrift: list of ${v.elem} holds a ${item.t}`);
        }
        writeValue(out, item);
      }
      return;
    }
  }
}

function writeStruct(out: Bytes, fields: TField[]): void {
  let last = 0;
  for (const [id, value] of fields) {
    if (value === undefined) continue;
    if (!(id > last)) throw new Error(`thrift: field ids must increase (${id} after ${last})`);
    const type = typeCode(value);
    const delta = id - last;
    if (delta <= 15) out.byte((delta << 4) | type);
    else {
      out.byte(type);
      out.varint(zigzag(id, 16));
    }
    if (value.t !== 'bool') writeValue(out, value);
    last = id;
  }
  out.byte(0);
}

/** Encode a struct (its fields and the stop byte). */
export function encodeStruct(fields: TField[]): Uint8Array {
  const out = new Bytes();
  writeStruct(out, fields);
  return out.result();
}

#!/usr/bin/env python3
"""Read clln run records and their Parquet exports in Python, without clln's code.

Written from the documented formats only: the run record (JSON lines, Bluesky event model: clln's
src/store/README.md, "Format" and "Export") and the Apache Parquet format specification (parquet-format's
parquet.thrift and Encodings.md). Standard library only; pandas is optional and needed only by the functions
that return DataFrames.

    record = read_record("runs/run.jsonl")      # start, descriptors and events of every stream, stop
    tables = record_tables("runs/run.jsonl")    # {"primary": {column: [values]}, "evaluation": {...}}
    pq = read_parquet("run.parquet")            # columns, units, clln.start / clln.descriptor / clln.stop
    frames = record_frames("runs/run.jsonl")    # {"primary": DataFrame, "evaluation": DataFrame} (pandas)
    df = parquet_frame("run.parquet")           # one DataFrame (pandas)

Columns are named as `clln export` names them: `seq_num`, `time`, then every data key in descriptor order,
arrays flattened to `key_0, key_1, ...` (or by node, `vf_9, vf_10`, when the key lists its `nodes`), nested
arrays `key_0_1`, objects `key.field`. In a DataFrame `time` is a UTC datetime; in the dicts it stays what the
file holds (epoch seconds in a record, a datetime for a TIMESTAMP column). A DataFrame's `attrs` hold `units`
({column: unit}) and the start, descriptor and stop documents.

Run it to summarise a record or an export: `python3 clln_records.py RUN.jsonl|RUN.parquet`.
"""

import datetime
import json
import math
import os
import struct
import sys
import zlib

__all__ = [
    "RecordError",
    "read_record",
    "record_tables",
    "record_frames",
    "read_parquet",
    "parquet_frame",
    "export_frames",
    "summary",
]


class RecordError(ValueError):
    """A file that is not what this reader expects: the message names the file, the place, the rule and the fix."""


def _bad(path, where, problem, fix):
    return RecordError(f"{path}: {where}: {problem}. {fix[:1].upper()}{fix[1:]}.")


# ---------------------------------------------------------------------------------------------------------------
# Run records (JSON lines)
# ---------------------------------------------------------------------------------------------------------------

_DOC_NAMES = ("start", "descriptor", "event", "stop")


def read_record(path):
    """The documents of a run record: a dict with

    - `start`: the start document;
    - `descriptors`: {stream name: descriptor} (`primary`, and `evaluation` when the run recorded evaluations);
    - `events`: {stream name: [event, ...]} in file order (each stream's `seq_num` runs 1, 2, ... without gaps);
    - `stop`: the stop document, or None while the run is going on or after a crash;
    - `torn`: True when the last line was cut short by a crash (it is ignored, as clln ignores it).
    """
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    # the piece after the last newline is empty in a whole file; otherwise it is a line a crash cut short
    torn = lines[-1] != b""
    lines = lines[:-1]
    start = None
    stop = None
    descriptors = {}
    by_uid = {}
    events = {}
    for i, raw in enumerate(lines):
        line = i + 1
        last = i == len(lines) - 1
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            if last:
                torn = True  # a crash in the middle of a write can leave a last line that does not parse
                break
            raise _bad(path, f"line {line}", f"is not JSON ({e})", "a run record holds one JSON document per line; check that this is a record written by clln") from None
        if not (isinstance(doc, list) and len(doc) == 2 and doc[0] in _DOC_NAMES and isinstance(doc[1], dict)):
            raise _bad(path, f"line {line}", 'is not ["name", {document}] with name start, descriptor, event or stop', "check that this is a run record written by clln")
        name, body = doc
        if line == 1 and name != "start":
            raise _bad(path, "line 1", f"is a {name} document, not the start document", "check that this is a run record written by clln")
        if name == "start":
            if line != 1:
                raise _bad(path, f"line {line}", "is a second start document", "a record holds one run; split the file")
            start = body
        elif stop is not None:
            raise _bad(path, f"line {line}", "follows the stop document", "nothing may follow a run's stop; cut the file after it")
        elif name == "descriptor":
            stream = body.get("name")
            if not isinstance(stream, str) or stream in descriptors:
                raise _bad(path, f"line {line}", f"descriptor name {stream!r} is missing or already used", "each descriptor names its own stream")
            descriptors[stream] = body
            by_uid[body.get("uid")] = stream
            events[stream] = []
        elif name == "event":
            stream = by_uid.get(body.get("descriptor"))
            if stream is None:
                raise _bad(path, f"line {line}", f"event of descriptor {body.get('descriptor')!r}, which no earlier line declares", "an event follows its descriptor; check the record")
            expected = len(events[stream]) + 1
            if body.get("seq_num") != expected:
                raise _bad(path, f"line {line}", f"{stream} event seq_num {body.get('seq_num')!r}, expected {expected}", "seq_num runs 1, 2, ... without gaps in each stream")
            events[stream].append(body)
        else:
            stop = body
    if start is None:
        raise _bad(path, "line 1", "no start document", "the file is empty or holds only a torn line; check the path")
    return {"path": str(path), "start": start, "descriptors": descriptors, "events": events, "stop": stop, "torn": torn}


def _is_int(v):
    # JSON numbers come as int, or as float when written with a fraction or exponent; bool is not a number here
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return abs(v) <= 2**53 - 1
    return isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) <= 2**53 - 1


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _leaves(name, v, labels, emit):
    """Emit every scalar inside v with its export name: arrays name_i (the outer one by `labels` where given),
    objects name.field. An empty array or object yields nothing."""
    if isinstance(v, list):
        for i, x in enumerate(v):
            label = labels[i] if labels is not None and i < len(labels) else i
            _leaves(f"{name}_{label}", x, None, emit)
    elif isinstance(v, dict):
        for k, x in v.items():
            _leaves(f"{name}.{k}", x, None, emit)
    else:
        emit(name, v)


def _node_labels(dk):
    # an array key that lists one node per element is labelled by node (vf_9, vf_10), else by index
    if not isinstance(dk, dict):
        return None
    nodes = dk.get("nodes")
    shape = dk.get("shape")
    if dk.get("dtype") == "array" and isinstance(nodes, list) and isinstance(shape, list) and shape and len(nodes) == shape[0]:
        return nodes
    return None


def _flatten(descriptor, events):
    """One stream's events as export columns: (names, {name: values}, {name: kind}, {name: units})."""
    dks = descriptor.get("data_keys", {})
    keys = list(dks)
    for ev in events:
        for k in ev.get("data", {}):
            if k not in keys:
                keys.append(k)
    rows = len(events)
    cols = {}
    groups = {k: [] for k in keys}
    for row, ev in enumerate(events):
        data = ev.get("data", {})
        for key in keys:
            if key not in data:
                continue
            dk = dks.get(key) or {}
            # a null array (e.g. a simulated run's conductance between snapshots) leaves its columns null
            if data[key] is None and dk.get("dtype") == "array":
                continue

            def emit(name, v, key=key):
                c = cols.get(name)
                if c is None:
                    c = cols[name] = [None] * rows
                    groups[key].append(name)
                c[row] = v

            _leaves(key, data[key], _node_labels(dk), emit)
    names = ["seq_num", "time"]
    values = {"seq_num": [ev.get("seq_num") for ev in events], "time": [ev.get("time") for ev in events]}
    kinds = {"seq_num": "int64", "time": "double"}
    units = {"time": "s"}
    for key in keys:
        dk = dks.get(key) or {}
        integer = dk.get("dtype") == "integer" or (dk.get("dtype") == "array" and dk.get("dtype_numpy") == "<i8")
        for name in groups[key]:
            if name in values:
                raise RecordError(f"data key {key} flattens to a column named {name}, which another column has already")
            raw = cols[name]
            present = [v for v in raw if v is not None]
            if present and all(isinstance(v, bool) for v in present):
                kind = "boolean"
            elif all(_is_number(v) for v in present):
                kind = "int64" if integer and all(_is_int(v) for v in present) else "double"
            else:
                kind = "string"
            if kind == "int64":
                vals = [None if v is None else int(v) for v in raw]
            elif kind == "double":
                vals = [None if v is None else float(v) for v in raw]
            elif kind == "string":
                vals = [None if v is None else v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for v in raw]
            else:
                vals = list(raw)
            names.append(name)
            values[name] = vals
            kinds[name] = kind
            if isinstance(dk.get("units"), str):
                units[name] = dk["units"]
    return names, values, kinds, units


def _described(rec, stream):
    """A stream's descriptor and events as the export reads them. Records of clln 0.1.0 have no `layout`; their
    descriptor does not say which node each reading belongs to, so it comes from the start document's task
    (src/store/README.md, "Records of clln 0.1.0"): inputs are the sources; host-stepped vf and vc every node;
    device-stepped vf the targets, and such a run has no vc or alarm (never measured, never checked)."""
    desc = rec["descriptors"][stream]
    events = rec["events"][stream]
    start = rec["start"]
    task = start.get("task") if isinstance(start.get("task"), dict) else {}
    sources, targets = task.get("sources"), task.get("targets")
    n = (start.get("board") or {}).get("nodes") if isinstance(start.get("board"), dict) else None
    if stream != "primary" or "layout" in desc or not isinstance(sources, list) or not isinstance(targets, list) or not isinstance(n, int) or n <= 0:
        return desc, events
    device = (start.get("plan") or {}).get("update") == "device"
    every = list(range(n))
    keys = {}
    for k, dk in desc.get("data_keys", {}).items():
        if k == "inputs":
            dk = {**dk, "shape": [len(sources)], "dims": ["node"], "nodes": sources}
        elif k == "vf":
            dk = {**dk, "shape": [len(targets)], "dims": ["node"], "nodes": targets} if device else {**dk, "dims": ["node"], "nodes": every}
        elif k in ("vc", "alarm"):
            if device:
                continue
            if k == "vc":
                dk = {**dk, "dims": ["node"], "nodes": every}
        keys[k] = dk
    if device:
        events = [{**ev, "data": {k: v for k, v in ev.get("data", {}).items() if k not in ("vc", "alarm")}} for ev in events]
    return {**desc, "data_keys": keys, "layout": "clln.steps/1"}, events


def record_tables(path_or_record):
    """Every stream of a record as export columns: {stream: {column: [values]}}, e.g. `primary` (one row per
    training step) and `evaluation` (one row per evaluation). Null where the record holds null or nothing."""
    rec = path_or_record if isinstance(path_or_record, dict) else read_record(path_or_record)
    out = {}
    for stream in rec["descriptors"]:
        names, values, _, _ = _flatten(*_described(rec, stream))
        out[stream] = {n: values[n] for n in names}
    return out


# ---------------------------------------------------------------------------------------------------------------
# Parquet (read from the format specification: Thrift compact protocol, PLAIN, RLE/bit-packed hybrid)
# ---------------------------------------------------------------------------------------------------------------

_PHYSICAL = {0: "BOOLEAN", 1: "INT32", 2: "INT64", 3: "INT96", 4: "FLOAT", 5: "DOUBLE", 6: "BYTE_ARRAY", 7: "FIXED_LEN_BYTE_ARRAY"}
_CODEC = {0: "UNCOMPRESSED", 1: "SNAPPY", 2: "GZIP", 3: "LZO", 4: "BROTLI", 5: "LZ4", 6: "ZSTD", 7: "LZ4_RAW"}
_ENCODING = {0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED", 6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT"}
_TIME_UNIT = {1: "MILLIS", 2: "MICROS", 3: "NANOS"}
# converted types (deprecated but still written beside the logical type): UTF8 0, ENUM 4, TIMESTAMP_MILLIS 9,
# TIMESTAMP_MICROS 10, JSON 19
_CONVERTED_STRING = (0, 4, 19)
_CONVERTED_TIMESTAMP = {9: "MILLIS", 10: "MICROS"}


class _Compact:
    """A reader of the Thrift compact protocol that needs no IDL: a struct is read as {field id: value}, lists
    and sets as lists, maps as dicts, binary as bytes, every integer width as int."""

    def __init__(self, buf, pos=0):
        self.buf = buf
        self.pos = pos

    def byte(self):
        if self.pos >= len(self.buf):
            raise EOFError("thrift: ran past the end")
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = 0
        out = 0
        while True:
            b = self.byte()
            out |= (b & 0x7F) << shift
            if b < 0x80:
                return out
            shift += 7
            if shift > 70:
                raise ValueError("thrift: varint longer than 10 bytes")

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, t):
        if t == 1:  # bool true (in a field header; a list element is a byte)
            return True
        if t == 2:
            return False
        if t == 3:  # i8: one byte, two's complement
            b = self.byte()
            return b - 256 if b > 127 else b
        if t in (4, 5, 6):  # i16, i32, i64: zigzag varints
            return self.zigzag()
        if t == 7:  # double: 8 bytes little-endian
            v = struct.unpack_from("<d", self.buf, self.pos)[0]
            self.pos += 8
            return v
        if t == 8:  # binary and string: varint length, bytes
            n = self.varint()
            if self.pos + n > len(self.buf):
                raise EOFError("thrift: binary runs past the end")
            v = bytes(self.buf[self.pos : self.pos + n])
            self.pos += n
            return v
        if t in (9, 10):  # list, set: size (high nibble, 15 = varint follows) and element type
            h = self.byte()
            size = h >> 4
            if size == 15:
                size = self.varint()
            et = h & 0x0F
            if et in (1, 2):
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(et) for _ in range(size)]
        if t == 11:  # map: varint size, then key and value types in one byte
            size = self.varint()
            if size == 0:
                return {}
            kv = self.byte()
            return {self.value(kv >> 4): self.value(kv & 0x0F) for _ in range(size)}
        if t == 12:
            return self.struct()
        raise ValueError(f"thrift: unknown compact type {t}")

    def struct(self):
        out = {}
        last = 0
        while True:
            h = self.byte()
            if h == 0:  # stop
                return out
            delta = h >> 4
            t = h & 0x0F
            fid = last + delta if delta else self.zigzag()
            out[fid] = self.value(t)
            last = fid


def _rle_hybrid(buf, pos, end, bit_width, count):
    """`count` values of the RLE/bit-packed hybrid (Encodings.md) from buf[pos:end]."""
    out = []
    nbytes = (bit_width + 7) // 8
    mask = (1 << bit_width) - 1
    r = _Compact(buf, pos)
    while len(out) < count and r.pos < end:
        header = r.varint()
        if header & 1:  # bit-packed: (header >> 1) groups of 8 values, least significant bit first
            groups = header >> 1
            chunk = buf[r.pos : r.pos + groups * bit_width]
            r.pos += groups * bit_width
            acc = int.from_bytes(chunk, "little")
            for k in range(groups * 8):
                out.append((acc >> (k * bit_width)) & mask)
        else:  # run: (header >> 1) repeats of one value in ceil(bit_width / 8) bytes
            v = int.from_bytes(buf[r.pos : r.pos + nbytes], "little")
            r.pos += nbytes
            out.extend([v] * (header >> 1))
    if len(out) < count:
        raise ValueError(f"levels: {len(out)} values where {count} were expected")
    return out[:count]


def _plain(buf, physical, n, type_length):
    """n PLAIN-encoded values of a physical type, and the bytes they took."""
    if physical == "BOOLEAN":  # one bit per value, least significant bit first
        return [bool((buf[k >> 3] >> (k & 7)) & 1) for k in range(n)], (n + 7) // 8
    fixed = {"INT32": "<i", "INT64": "<q", "FLOAT": "<f", "DOUBLE": "<d"}.get(physical)
    if fixed:
        size = struct.calcsize(fixed)
        if n * size > len(buf):
            raise ValueError(f"{physical}: {n} values need {n * size} bytes, the page holds {len(buf)}")
        return list(struct.unpack_from(f"<{n}{fixed[1]}", buf, 0)), n * size
    if physical == "BYTE_ARRAY":  # a 4-byte little-endian length, then the bytes
        out = []
        pos = 0
        for _ in range(n):
            (size,) = struct.unpack_from("<I", buf, pos)
            out.append(bytes(buf[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        return out, pos
    if physical == "FIXED_LEN_BYTE_ARRAY":
        return [bytes(buf[k * type_length : (k + 1) * type_length]) for k in range(n)], n * type_length
    raise ValueError(f"physical type {physical} is not supported")


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _timestamp(v, unit, utc):
    # exact integer arithmetic: a float of microseconds since 1970 would lose the last digits
    if unit == "MILLIS":
        t = _EPOCH + datetime.timedelta(milliseconds=v)
    elif unit == "MICROS":
        t = _EPOCH + datetime.timedelta(microseconds=v)
    else:
        t = _EPOCH + datetime.timedelta(microseconds=v // 1000)  # datetime holds microseconds: nanoseconds floored
    return t if utc else t.replace(tzinfo=None)


def _kv(items):
    out = {}
    for kv in items or []:
        k = kv.get(1, b"").decode("utf-8")
        v = kv.get(2)
        out[k] = v.decode("utf-8") if isinstance(v, bytes) else v
    return out


def _json_or_none(path, meta, key):
    if key not in meta or meta[key] is None:
        return None
    try:
        return json.loads(meta[key])
    except ValueError as e:
        raise _bad(path, f"key-value metadata {key}", f"is not JSON ({e})", "clln writes the start, descriptor and stop documents there as JSON") from None


def read_parquet(path):
    """The columns and metadata of a flat Parquet file (as clln exports one). A dict with

    - `columns`: {name: [values]} in schema order, None for a null; INT64 as int, DOUBLE as float, BOOLEAN as
      bool, strings as str, TIMESTAMP columns as datetime (UTC-aware when the file says isAdjustedToUTC);
    - `schema`: {name: {"physical", "logical", "optional"}}; `num_rows`; `created_by`;
    - `metadata`: the file's key-value metadata; `units`: {column: unit};
    - `start`, `descriptor`, `stop`: clln's documents (None when absent).

    Reads UNCOMPRESSED and GZIP pages, data pages v1 with PLAIN or dictionary encoding and RLE/bit-packed
    definition levels: what clln writes. Other files get a RecordError naming what is not supported.
    """
    path = str(path)
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 12 or buf[:4] != b"PAR1" or buf[-4:] != b"PAR1":
        raise _bad(path, "file", "does not start and end with PAR1", "this is not a Parquet file; export one with `clln export RUN --parquet OUT`")
    (footer_len,) = struct.unpack_from("<I", buf, len(buf) - 8)
    footer_start = len(buf) - 8 - footer_len
    if footer_start < 4:
        raise _bad(path, "footer", f"length {footer_len} is larger than the file", "the file is cut short or damaged; export it again")
    try:
        meta = _Compact(buf, footer_start).struct()
    except (EOFError, ValueError, struct.error) as e:
        raise _bad(path, "footer (FileMetaData)", f"does not decode ({e})", "the file is damaged; export it again") from None

    schema_elems = meta.get(2, [])
    if not schema_elems:
        raise _bad(path, "schema", "is empty", "export the file again")
    leaves = []
    for el in schema_elems[1:]:
        name = el.get(4, b"").decode("utf-8")
        if el.get(5) or el.get(3) == 2:
            raise _bad(path, f"column {name}", "is nested or repeated", "this reader reads flat tables such as clln's exports; use pyarrow for nested ones")
        physical = _PHYSICAL.get(el.get(1), str(el.get(1)))
        logical = el.get(10) or {}
        info = {"physical": physical, "logical": None, "optional": el.get(3) == 1, "type_length": el.get(2)}
        if 8 in logical:  # TIMESTAMP(isAdjustedToUTC, unit)
            ts = logical[8]
            unit = _TIME_UNIT.get(next(iter(ts.get(2, {2: {}}))), "MICROS")
            info["logical"] = ("TIMESTAMP", unit, bool(ts.get(1, False)))
        elif el.get(6) in _CONVERTED_TIMESTAMP:
            # the converted type alone is defined as adjusted to UTC
            info["logical"] = ("TIMESTAMP", _CONVERTED_TIMESTAMP[el[6]], True)
        elif 1 in logical or 4 in logical or 12 in logical or el.get(6) in _CONVERTED_STRING:
            info["logical"] = ("STRING",)
        leaves.append((name, info))

    columns = {name: [] for name, _ in leaves}
    col_units = {}
    for g, rg in enumerate(meta.get(4, [])):
        chunks = rg.get(1, [])
        if len(chunks) != len(leaves):
            raise _bad(path, f"row group {g}", f"has {len(chunks)} column chunks for {len(leaves)} columns", "the file is damaged; export it again")
        for (name, info), chunk in zip(leaves, chunks):
            cm = chunk.get(3)
            if cm is None:
                raise _bad(path, f"column {name}", "has no ColumnMetaData in the footer", "this reader needs it in the footer, as every common writer puts it")
            for k, v in _kv(cm.get(8)).items():
                if k == "units":
                    col_units[name] = v
            try:
                columns[name].extend(_read_chunk(path, buf, name, info, cm))
            except (EOFError, IndexError, ValueError, struct.error) as e:
                if isinstance(e, RecordError):
                    raise
                raise _bad(path, f"column {name}", f"does not decode ({e})", "the file is cut short or damaged; export it again") from None

    kv = _kv(meta.get(5))
    units = {}
    descriptor = _json_or_none(path, kv, "clln.descriptor")
    if descriptor is not None:
        units.update(_units_from_descriptor(descriptor, [n for n, _ in leaves]))
    file_units = _json_or_none(path, kv, "clln.units")
    if isinstance(file_units, dict):
        units.update({k: v for k, v in file_units.items() if isinstance(v, str)})
    units.update(col_units)
    created = meta.get(6)
    return {
        "path": path,
        "num_rows": meta.get(3, 0),
        "columns": columns,
        "schema": {name: {k: v for k, v in info.items() if k != "type_length"} for name, info in leaves},
        "created_by": created.decode("utf-8") if isinstance(created, bytes) else None,
        "metadata": kv,
        "units": {n: units[n] for n, _ in leaves if n in units},
        "start": _json_or_none(path, kv, "clln.start"),
        "descriptor": descriptor,
        "stop": _json_or_none(path, kv, "clln.stop"),
    }


def _units_from_descriptor(descriptor, names):
    """Units of export columns from the data keys they flatten (key, key_i..., key.field): for files written
    before the columns carried their own."""
    keys = [(k, dk["units"]) for k, dk in descriptor.get("data_keys", {}).items() if isinstance(dk, dict) and isinstance(dk.get("units"), str)]
    keys.sort(key=lambda kv: -len(kv[0]))  # the longest key that prefixes a column is its own
    out = {}
    for n in names:
        for k, u in keys:
            if n == k or n.startswith(k + "_") or n.startswith(k + "."):
                out[n] = u
                break
    return out


def _read_chunk(path, buf, name, info, cm):
    codec = _CODEC.get(cm.get(4), str(cm.get(4)))
    if codec not in ("UNCOMPRESSED", "GZIP"):
        raise _bad(path, f"column {name}", f"is compressed with {codec}", "this reader decompresses UNCOMPRESSED and GZIP pages (what clln writes), with the standard library; read other codecs with pyarrow")
    total = cm.get(5, 0)
    pos = cm.get(11) if cm.get(11) is not None else cm.get(9)
    out = []
    dictionary = None
    max_def = 1 if info["optional"] else 0
    while len(out) < total:
        r = _Compact(buf, pos)
        try:
            ph = r.struct()
        except (EOFError, ValueError) as e:
            raise _bad(path, f"column {name}, page at byte {pos}", f"header does not decode ({e})", "the file is damaged; export it again") from None
        size = ph.get(3, 0)
        raw = buf[r.pos : r.pos + size]
        pos = r.pos + size
        if codec == "GZIP":
            # wbits 47 = 32 + 15: a gzip or a zlib stream, detected from its header
            try:
                raw = zlib.decompress(raw, 47)
            except zlib.error as e:
                raise _bad(path, f"column {name}", f"a GZIP page does not decompress ({e})", "the file is damaged; export it again") from None
        ptype = ph.get(1)
        if ptype == 2:  # dictionary page: PLAIN values that data pages index
            n = ph.get(7, {}).get(1, 0)
            dictionary, _ = _plain(raw, info["physical"], n, info["type_length"])
            continue
        if ptype != 0:
            raise _bad(path, f"column {name}", f"holds a page of type {ptype}", "this reader reads data pages v1 (type 0) and dictionary pages, as clln writes them; use pyarrow for v2 pages")
        dph = ph.get(5, {})
        n = dph.get(1, 0)
        p = 0
        if max_def:
            # data page v1: definition levels with a 4-byte length prefix, bit width 1 (max level 1)
            (lev_len,) = struct.unpack_from("<I", raw, 0)
            levels = _rle_hybrid(raw, 4, 4 + lev_len, 1, n)
            p = 4 + lev_len
        else:
            levels = [1] * n
        present = sum(levels)
        enc = _ENCODING.get(dph.get(2), str(dph.get(2)))
        body = raw[p:]
        if enc == "PLAIN":
            vals, _ = _plain(body, info["physical"], present, info["type_length"])
        elif enc in ("RLE_DICTIONARY", "PLAIN_DICTIONARY") and dictionary is not None:
            width = body[0]
            idx = _rle_hybrid(body, 1, len(body), width, present)
            vals = [dictionary[i] for i in idx]
        else:
            raise _bad(path, f"column {name}", f"uses encoding {enc}", "this reader decodes PLAIN and dictionary pages (clln writes PLAIN); use pyarrow for others")
        vals = [_convert(v, info) for v in vals]
        it = iter(vals)
        out.extend(next(it) if lev else None for lev in levels)
    return out


def _convert(v, info):
    lg = info["logical"]
    if lg is None:
        return v
    if lg[0] == "STRING":
        return v.decode("utf-8")
    if lg[0] == "TIMESTAMP":
        return _timestamp(v, lg[1], lg[2])
    return v


def export_files(path):
    """The Parquet or CSV files of one export: {"primary": PATH, "evaluation": PATH or None}; the evaluation
    stream goes to OUT with `.evaluation` before the extension (run.parquet -> run.evaluation.parquet)."""
    root, ext = os.path.splitext(str(path))
    ev = f"{root}.evaluation{ext}"
    return {"primary": str(path), "evaluation": ev if os.path.exists(ev) else None}


# ---------------------------------------------------------------------------------------------------------------
# DataFrames (pandas, optional)
# ---------------------------------------------------------------------------------------------------------------

_NO_PANDAS = (
    "pandas is not installed, and {fn} returns DataFrames. Install it (Debian: apt-get install python3-pandas; "
    "else pip install pandas), or use record_tables() or read_parquet(), which give the same columns as dicts of "
    "lists with the standard library alone."
)


def _pandas(fn):
    try:
        import pandas
    except ImportError:
        raise RuntimeError(_NO_PANDAS.format(fn=fn)) from None
    return pandas


def _frame(pd, names, values, kinds, units, attrs):
    cols = {}
    for n in names:
        v = values[n]
        k = kinds[n]
        has_null = any(x is None for x in v)
        if n == "time" and k in ("double", "int64"):
            # clln's event time: epoch seconds (a DOUBLE in a record and older exports), held to the microsecond
            # as a TIMESTAMP(MICROS) export holds it (seconds times 1e9 in floating point would miss by ~100 ns)
            us = [None if x is None or not math.isfinite(x) else round(x * 1e6) for x in v]
            cols[n] = pd.to_datetime(pd.array(us, dtype="Int64"), unit="us", utc=True)
            units = {k: u for k, u in units.items() if k != n}  # a datetime carries its own unit
        elif k == "timestamp":
            cols[n] = pd.to_datetime(pd.Series(v, dtype="object"), utc=True)
        elif k == "int64":
            cols[n] = pd.array(v, dtype="Int64") if has_null else pd.array(v, dtype="int64")
        elif k == "double":
            cols[n] = pd.array([math.nan if x is None else x for x in v], dtype="float64")
        elif k == "boolean":
            cols[n] = pd.array(v, dtype="boolean") if has_null else pd.array(v, dtype="bool")
        else:
            cols[n] = pd.array(v, dtype="object")
    df = pd.DataFrame(cols, columns=names)
    df.attrs.update(attrs)
    df.attrs["units"] = dict(units)
    return df


def record_frames(path_or_record):
    """Every stream of a record as a DataFrame: {"primary": ..., "evaluation": ...} (pandas)."""
    pd = _pandas("record_frames")
    rec = path_or_record if isinstance(path_or_record, dict) else read_record(path_or_record)
    out = {}
    for stream in rec["descriptors"]:
        desc, events = _described(rec, stream)
        names, values, kinds, units = _flatten(desc, events)
        out[stream] = _frame(pd, names, values, kinds, units, {"start": rec["start"], "descriptor": desc, "stop": rec["stop"]})
    return out


_KIND = {"INT64": "int64", "INT32": "int64", "DOUBLE": "double", "FLOAT": "double", "BOOLEAN": "boolean"}


def parquet_frame(path_or_table):
    """A Parquet file as a DataFrame (pandas); `attrs` hold units, start, descriptor and stop."""
    pd = _pandas("parquet_frame")
    t = path_or_table if isinstance(path_or_table, dict) else read_parquet(path_or_table)
    names = list(t["columns"])
    kinds = {}
    for n in names:
        s = t["schema"][n]
        lg = s["logical"]
        kinds[n] = "timestamp" if lg and lg[0] == "TIMESTAMP" else _KIND.get(s["physical"], "string")
    return _frame(pd, names, t["columns"], kinds, t["units"], {"start": t["start"], "descriptor": t["descriptor"], "stop": t["stop"]})


def export_frames(path):
    """An export's primary file and, when it exists beside it, its evaluation file, as DataFrames:
    {"primary": DataFrame, "evaluation": DataFrame} (only the streams present)."""
    _pandas("export_frames")
    files = export_files(path)
    return {k: parquet_frame(p) for k, p in files.items() if p is not None}


# ---------------------------------------------------------------------------------------------------------------
# Command line: a summary of a record or an export
# ---------------------------------------------------------------------------------------------------------------


def _last_number(values):
    for v in reversed(values):
        if _is_number(v) and math.isfinite(v):
            return v
    return None


def summary(path):
    """What the command line prints, as a dict: steps, final cost, status, evaluations [{step, train_mse,
    test_mse, final}]."""
    path = str(path)
    if path.endswith(".parquet"):
        files = export_files(path)
        primary = read_parquet(files["primary"])["columns"]
        evaluation = read_parquet(files["evaluation"])["columns"] if files["evaluation"] else None
        stop = read_parquet(files["primary"])["stop"]
        kind = "parquet export"
    else:
        rec = read_record(path)
        tables = record_tables(rec)
        primary = tables.get("primary", {"seq_num": []})
        evaluation = tables.get("evaluation")
        stop = rec["stop"]
        kind = "run record" + (" (torn last line ignored)" if rec["torn"] else "")
    evals = []
    if evaluation is not None:
        n = len(evaluation.get("seq_num", []))
        for i in range(n):
            evals.append({k: evaluation[k][i] if k in evaluation else None for k in ("step", "train_mse", "test_mse", "final")})
    return {
        "path": path,
        "kind": kind,
        "steps": len(primary.get("seq_num", [])),
        "columns": len(primary),
        "final_cost": _last_number(primary.get("cost", [])),
        "status": None if stop is None else stop.get("exit_status"),
        "reason": None if stop is None else stop.get("reason"),
        "evaluations": evals,
    }


def _fmt(v):
    return "-" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)


def main(argv):
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print("usage: python3 clln_records.py RUN.jsonl|RUN.parquet\n  prints the steps, final cost and evaluations of a clln run record or Parquet export", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        s = summary(argv[0])
    except OSError as e:
        print(f"clln_records: {argv[0]}: cannot read it ({e.strerror or e}). Check the path: records are runs/*.jsonl, exports what `clln export` wrote.", file=sys.stderr)
        return 2
    except RecordError as e:
        print(f"clln_records: {e}", file=sys.stderr)
        return 2
    print(f"{s['path']}: {s['kind']}")
    print(f"  steps       {s['steps']} ({s['columns']} columns)")
    print(f"  final cost  {_fmt(s['final_cost'])} V^2")
    print(f"  stopped     {_fmt(s['status'])} ({_fmt(s['reason'])})")
    print(f"  evaluations {len(s['evaluations'])}")
    if s["evaluations"]:
        print("    step  train_mse (V^2)  test_mse (V^2)")
        for e in s["evaluations"]:
            print(f"    {_fmt(e['step']):>4}  {_fmt(e['train_mse']):>15}  {_fmt(e['test_mse']):>14}{'  final' if e['final'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

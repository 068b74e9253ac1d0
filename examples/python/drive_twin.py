#!/usr/bin/env python3
"""Drive a clln board, or its twin, over its serial line with the Python standard library alone.

    clln twin serve --board penn-gen1 --pty      # prints READY /tmp/clln-twin-.../tty
    python3 drive_twin.py /tmp/clln-twin-.../tty [--steps 3] [--json]

Written from the board protocol (clln's firmware-protocol/PROTOCOL.md, version 1.3): ASCII lines `BODY*CCCC`
with CCCC the CRC-16/CCITT-FALSE of BODY in upper-case hex; commands `SEQ VERB ARGS`, answered `SEQ OK ...` or
`SEQ ERR CODE MESSAGE`; unsolicited lines start with `!`. One command is outstanding at a time, and a retry
resends the identical line (the device answers a duplicate of its latest command with the same reply, without
executing it again).

It asks the board who it is (ID), its wiring (TOPO), drives two sources, measures every node (MEAS), and takes a
few on-device learning steps (STEP), reading every edge's setting (EGET) before and after each to see what moved.
Exit 0 when all went well; 1 when the board does not answer or refuses a command; 2 for a bad command line or a
path that cannot be opened.
"""

import argparse
import binascii
import json
import os
import random
import select
import sys
import termios
import time
import tty


class BoardError(Exception):
    """The board did not answer, answered ERR, or answered something this script cannot read."""


def crc16(body):
    # CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, not reflected, no final XOR) is what
    # binascii.crc_hqx computes when started from 0xFFFF; the protocol's check value: crc16(b"123456789") == 0x29B1
    return binascii.crc_hqx(body, 0xFFFF)


def frame(body):
    return body + b"*" + b"%04X" % crc16(body) + b"\n"


def unframe(line):
    """The body of a received line, or None when its CRC is missing or wrong (the protocol's `crc` error)."""
    if line.endswith(b"\r"):
        line = line[:-1]
    if len(line) < 5 or line[-5:-4] != b"*" or line.count(b"*") != 1:
        return None
    body, digits = line[:-5], line[-4:]
    if any(c not in b"0123456789ABCDEF" for c in digits) or int(digits, 16) != crc16(body):
        return None
    return body


def number(x):
    """A decimal number as senders write them (section 3.3): at most 6 decimals, no trailing zeros, no exponent."""
    s = f"{round(x, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


class Board:
    def __init__(self, path, timeout, retries, log=None):
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError as e:
            raise FileNotFoundError(f"{path}: cannot open it ({e.strerror}). Give the path that `clln twin serve --pty` printed after READY, or a serial device, e.g. /dev/ttyACM0") from None
        if os.isatty(self.fd):
            # raw: no echo, no line editing, no CR/LF translation, 8 bits; 115200 baud 8N1 (a pty ignores the speed)
            tty.setraw(self.fd)
            attrs = termios.tcgetattr(self.fd)
            attrs[4] = attrs[5] = termios.B115200
            attrs[2] = (attrs[2] & ~(termios.PARENB | termios.CSTOPB | termios.CSIZE)) | termios.CS8 | termios.CLOCAL | termios.CREAD
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
            termios.tcflush(self.fd, termios.TCIFLUSH)
        self.path = path
        self.timeout = timeout
        self.retries = retries
        self.log = log
        self.pending = b""
        self.rejected = 0
        self.unsolicited = []
        # a fresh host starts at a random SEQ, so that its first line cannot repeat one of an earlier session
        self.seq = random.randint(1, 65535)
        # a lone LF ends any partial line the device may hold from an earlier host
        os.write(self.fd, b"\n")

    def close(self):
        os.close(self.fd)

    def _line(self, deadline):
        """The next received line without its LF, or None at the deadline."""
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            try:
                chunk = os.read(self.fd, 4096)
            except OSError as e:
                raise BoardError(f"{self.path}: the line went away ({e.strerror}); the twin stopped or the board was unplugged") from None
            if not chunk:
                raise BoardError(f"{self.path}: the line was closed; the twin stopped or the board was unplugged")
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line

    def command(self, text):
        """Send one command; its reply's fields after OK. A lost line is retried identically."""
        self.seq = self.seq % 65535 + 1
        line = frame(f"{self.seq} {text}".encode("ascii"))
        want = str(self.seq).encode("ascii")
        for attempt in range(self.retries + 1):
            if self.log:
                self.log(f"> {line.decode().rstrip()}" + (f"  (attempt {attempt + 1})" if attempt else ""))
            os.write(self.fd, line)
            deadline = time.monotonic() + self.timeout
            while True:
                raw = self._line(deadline)
                if raw is None:
                    break  # this attempt timed out: resend the same line
                if raw in (b"", b"\r"):
                    continue
                body = unframe(raw)
                if body is None:
                    self.rejected += 1
                    continue
                if self.log:
                    self.log(f"< {body.decode('ascii', 'replace')}")
                fields = body.decode("ascii", "replace").split(" ")
                if fields[0] == "!":
                    self.unsolicited.append(fields[1:])
                    continue
                if fields[0] != want.decode():
                    continue  # a late reply to an earlier command
                if len(fields) >= 2 and fields[1] == "OK":
                    return fields[2:]
                if len(fields) >= 3 and fields[1] == "ERR":
                    raise BoardError(f"`{text}` was refused: {' '.join(fields[2:])}")
                raise BoardError(f"`{text}`: reply {body!r} is neither OK nor ERR")
        raise BoardError(
            f"no reply to `{text}` after {self.retries + 1} attempts of {self.timeout:g} s on {self.path}. Is a board or "
            "twin serving it (clln twin serve --pty prints READY PATH), and no other program reading it?"
        )


def keyed(fields):
    out = {}
    for f in fields:
        k, _, v = f.partition("=")
        out[k] = v
    return out


def numbers(text):
    return [] if text == "-" else [float(x) for x in text.split(",")]


def drive(board, steps):
    """The conversation; returns what it learned."""
    board.command("PING")  # every connection starts with PING, ID or TOPO (section 4)
    ident = keyed(board.command("ID"))
    proto = ident.get("proto")
    if proto not in ("1.1", "1.2", "1.3"):
        raise BoardError(f"the board speaks protocol {proto!r}; this script speaks 1.1 to 1.3")
    nodes = int(ident["nodes"])
    drive_nodes = [int(x) for x in numbers(ident["drive"])]
    clamp_nodes = [int(x) for x in numbers(ident["clamp"])]
    dac_lo, dac_hi = numbers(ident["dac"])
    eta_lo, eta_hi = numbers(ident["eta"])
    edge = ident["edge"].split(",")

    stat = keyed(board.command("STAT"))
    if stat.get("run") == "running":
        board.command("HALT")  # a run left by a host that died makes the board refuse everything else (section 11)
    topo = [] if (t := board.command("TOPO")[0]) == "-" else [tuple(int(n) for n in pair.split("-")) for pair in t.split(",")]

    # two sources and two targets on distinct nodes, at voltages inside the DAC range
    sources = drive_nodes[:2]
    targets = [n for n in reversed(clamp_nodes) if n not in sources][:2]
    if not sources or not targets:
        raise BoardError(f"the board has no two drive nodes and a distinct clamp node (drive={ident['drive']}, clamp={ident['clamp']})")
    span = dac_hi - dac_lo
    src_volts = [dac_lo + f * span for f in (0.9, 0.4)][: len(sources)]
    desired = [dac_lo + f * span for f in (0.3, 0.2)][: len(targets)]
    eta = min(max(0.5, eta_lo), eta_hi)

    board.command("CLAMP -")
    board.command("SRC " + ",".join(f"{n}:{number(v)}" for n, v in zip(sources, src_volts)))
    meas = numbers(board.command("MEAS")[0])
    if len(meas) != nodes:
        raise BoardError(f"MEAS gave {len(meas)} voltages for {nodes} nodes")

    def settings():
        s = board.command("EGET")[0]
        return [] if s == "-" else s.split(",")

    before = settings()
    done = []
    tgt = ",".join(f"{n}:{number(v)}" for n, v in zip(targets, desired))
    for _ in range(steps):
        reply = keyed(board.command(f"STEP eta={number(eta)} tgt={tgt}"))
        after = settings()
        moved = sum(a != b for a, b in zip(before, after))
        done.append({"vf": numbers(reply["vf"]), "changed": int(reply["changed"]), "moved": moved})
        before = after
    stat = keyed(board.command("STAT"))
    board.command("SRC -")  # leave the board as found: no source driven
    return {
        "board": ident.get("board"),
        "fw": ident.get("fw"),
        "proto": proto,
        "uid": ident.get("uid"),
        "boot": int(ident["boot"]),
        "nodes": nodes,
        "edges": int(ident["edges"]),
        "edge": edge,
        "law": ident.get("law"),
        "dac": [dac_lo, dac_hi],
        "topology": topo,
        "sources": dict(zip(sources, src_volts)),
        "targets": dict(zip(targets, desired)),
        "eta": eta,
        "meas": meas,
        "steps": done,
        "settings": before,
        "board_steps": int(stat["steps"]),
        "rejected_lines": board.rejected,
        "unsolicited": [" ".join(u) for u in board.unsolicited],
    }


def report(r):
    kind = f"{r['edge'][0]} edges" + (f" of {r['edge'][1]} taps" if r["edge"][0] == "tap" else f", gate {r['edge'][1]}..{r['edge'][2]} V")
    print(f"board {r['board']} (firmware {r['fw']}, protocol {r['proto']}, uid {r['uid']}, boot {r['boot']})")
    print(f"  {r['nodes']} nodes, {r['edges']} {kind}; law {r['law'] or '(not sent)'}; DAC {r['dac'][0]:g}..{r['dac'][1]:g} V")
    print(f"  topology: {len(r['topology'])} edges, first {', '.join(f'{a}-{b}' for a, b in r['topology'][:4])}")
    print("  sources " + ", ".join(f"node {n} at {v:.3f} V" for n, v in r["sources"].items()))
    print("  node voltages (V): " + " ".join(f"{v:.3f}" for v in r["meas"]))
    tg = ", ".join(f"node {n} -> {v:.3f} V" for n, v in r["targets"].items())
    print(f"  learning steps (eta {r['eta']:g}; targets {tg}):")
    for i, s in enumerate(r["steps"]):
        print(f"    step {i + 1}: free target voltages {', '.join(f'{v:.4f}' for v in s['vf'])} V; {s['changed']} edges changed (EGET: {s['moved']} differ)")
    print(f"  the board counts {r['board_steps']} learning steps since boot; {r['rejected_lines']} received lines failed their CRC")


def main(argv):
    ap = argparse.ArgumentParser(description="Talk to a clln board or twin over its serial line (standard library only).")
    ap.add_argument("path", help="the serial device, or the pty path that `clln twin serve --pty` printed after READY")
    ap.add_argument("--steps", type=int, default=3, help="on-device learning steps to take (default 3)")
    ap.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each reply before resending it (default 1)")
    ap.add_argument("--retries", type=int, default=2, help="resends of an unanswered command (default 2)")
    ap.add_argument("--json", action="store_true", help="print what it learned as one JSON object")
    ap.add_argument("--verbose", action="store_true", help="show every line sent and received on stderr")
    a = ap.parse_args(argv)
    if a.steps < 0 or a.timeout <= 0 or a.retries < 0:
        print("drive_twin: --steps and --retries must be >= 0 and --timeout > 0", file=sys.stderr)
        return 2
    log = (lambda m: print(m, file=sys.stderr)) if a.verbose else None
    try:
        board = Board(a.path, a.timeout, a.retries, log)
    except FileNotFoundError as e:
        print(f"drive_twin: {e}", file=sys.stderr)
        return 2
    try:
        r = drive(board, a.steps)
    except BoardError as e:
        print(f"drive_twin: {e}", file=sys.stderr)
        return 1
    finally:
        board.close()
    if a.json:
        print(json.dumps(r))
    else:
        report(r)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

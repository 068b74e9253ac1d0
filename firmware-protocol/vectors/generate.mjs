#!/usr/bin/env node
// Writes frames.json and bad-lines.json next to this script. Run once by hand (`node generate.mjs`) after editing
// the bodies below; the JSON files are the committed vectors, which the tests of host and twin read.
//
// Deliberately independent of the codec: the bodies are literal text and the CRC is a plain bit-at-a-time
// CRC-16/CCITT-FALSE, so the vectors check the codec instead of echoing it.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** CRC-16/CCITT-FALSE, one bit at a time: poly 0x1021, init 0xFFFF, no reflection, no final XOR. */
function crc(bytes, init = 0xffff) {
  let c = init;
  for (const ch of bytes) {
    c ^= ch.charCodeAt(0) << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}
const hex = (c) => c.toString(16).toUpperCase().padStart(4, '0');
if (hex(crc('123456789')) !== '29B1') throw new Error('CRC check value');
const frame = (body) => `${body}*${hex(crc(body))}\n`;

// A 4x4 grid board: 16 nodes, 12 horizontal then 12 vertical edges.
const grid = [];
for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) grid.push(`${4 * r + c}-${4 * r + c + 1}`);
for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) grid.push(`${4 * r + c}-${4 * r + c + 4}`);
// Protocol 1.3 (PROTOCOL.md 7.1): law= follows edge= (geometric,RMIN,RMAX or linear,RMIN,RMAX in ohm; ohmic,S,VT
// with S in uS/V, VT in V); keep= (frames kept for RESEND) follows sched=, before the gate-only amp= and gstep=.
const tapId =
  'proto=1.3 fw=1.0.3 board=penn-gen1 uid=3A7F09C2 boot=17 nodes=16 edges=24 drive=0,3,12,15 clamp=5,6,9,10 ' +
  'adc=12,0,3.3 dac=0,3.3 edge=tap,128 law=geometric,50,100000 rate=50000 eta=0.000001,1 sched=256 keep=256';
const gateId =
  'proto=1.3 fw=0.9.1 board=gate-proto uid=0000BEEF boot=3 nodes=6 edges=8 drive=0,1,5 clamp=4 adc=16,-5,5 ' +
  'dac=-5,5 edge=gate,0,2.5 law=ohmic,850,0.62 rate=100000 eta=0.01,1 sched=64 keep=1000 amp=0,20 gstep=0.25';
// The reference board (firmware/HARDWARE.md): linear taper (AD5206 rheostat + 1 kOhm), 32 frames kept on an 8 KB MCU.
const linearId =
  'proto=1.3 fw=clln-ref16-1.0.0 board=clln-ref16 uid=0 boot=1 nodes=16 edges=24 drive=0,1,2,3 clamp=12,13,14,15 ' +
  'adc=10,0,5 dac=0,4.998779 edge=tap,256 law=linear,1084.0625,11045 rate=9000 eta=0.000001,1 sched=48 keep=32';
// A protocol 1.2 board (law=, no keep=: it keeps 256 frames) and a 1.1 board (no law= either): a 1.3 host accepts both.
const tapId12 =
  'proto=1.2 fw=1.0.3 board=penn-gen1 uid=3A7F09C2 boot=17 nodes=16 edges=24 drive=0,3,12,15 clamp=5,6,9,10 ' +
  'adc=12,0,3.3 dac=0,3.3 edge=tap,128 law=geometric,50,100000 rate=50000 eta=0.000001,1 sched=256';
const tapId11 =
  'proto=1.1 fw=1.0.3 board=penn-gen1 uid=3A7F09C2 boot=17 nodes=16 edges=24 drive=0,3,12,15 clamp=5,6,9,10 ' +
  'adc=12,0,3.3 dac=0,3.3 edge=tap,128 rate=50000 eta=0.000001,1 sched=256';
// Protocol 1.4 (PROTOCOL.md 7.2): the same ID fields; proto=1.4 says the board has CYCLE, STEP src= and STEP's set=.
const tapId14 = tapId.replace('proto=1.3', 'proto=1.4');
const gateTopo = '0-1,0-2,1-3,2-3,2-4,3-4,3-5,4-5';
const meas16 =
  '3.3,2.871204,2.440117,0,2.912388,2.503361,2.087412,0.412907,2.498016,2.099554,1.701233,0.825006,' +
  '3.3,2.481957,1.650012,0.000244';
// The clamped state of the same board: targets 5 and 10 clamped (CYCLE's vc=).
const meas16c =
  '3.3,2.861093,2.402215,0,2.88776,1.143902,2.061207,0.409215,2.47119,2.085004,0.806501,0.823311,' +
  '3.3,2.465602,1.640017,0.000244';
const eget24 = '64,71,58,64,80,33,64,64,127,0,12,64,64,90,45,64,64,101,64,7,64,64,64,64';
const maxLog = (() => {
  const head = '! LOG ';
  let s = head;
  for (let i = 0; s.length < 1019; i++) s += String.fromCharCode(0x41 + (i % 26));
  return s.slice(0, 1019);
})();

/** [name, direction, body]; a command and its reply share their SEQ. */
const frames = [
  ['PING command', 'host', '1 PING'],
  ['PING reply', 'device', '1 OK'],
  ['ID command', 'host', '2 ID'],
  ['ID reply (tap board)', 'device', `2 OK ${tapId}`],
  ['ID reply (gate board)', 'device', `2 OK ${gateId}`],
  ['ID reply (tap board, linear law)', 'device', `2 OK ${linearId}`],
  ['ID reply (tap board, protocol 1.2)', 'device', `2 OK ${tapId12}`],
  ['ID reply (tap board, protocol 1.1)', 'device', `2 OK ${tapId11}`],
  ['TOPO command', 'host', '3 TOPO'],
  ['TOPO reply (tap board, 4x4 grid)', 'device', `3 OK ${grid.join(',')}`],
  ['TOPO reply (gate board)', 'device', `3 OK ${gateTopo}`],
  ['STAT command', 'host', '4 STAT'],
  ['STAT reply', 'device', '4 OK boot=17 crc=2 overlong=0 garbage=1 dup=3 badseq=0 steps=1200 run=running runstep=37 runerr=0'],
  ['STAT reply (failed run)', 'device', '4 OK boot=17 crc=0 overlong=0 garbage=0 dup=0 badseq=1 steps=12 run=failed runstep=12 runerr=409'],
  ['SRC command', 'host', '5 SRC 0:3.3,3:0,12:1.65'],
  ['SRC reply', 'device', '5 OK'],
  ['SRC release all', 'host', '6 SRC -'],
  ['CLAMP command', 'host', '7 CLAMP 5:0.25,10:-0.125'],
  ['CLAMP release all', 'host', '8 CLAMP -'],
  ['MEAS command (default samples)', 'host', '9 MEAS'],
  ['MEAS command (n=64)', 'host', '10 MEAS n=64'],
  ['MEAS reply (16 voltages)', 'device', `10 OK ${meas16}`],
  ['EGET command', 'host', '11 EGET'],
  ['EGET reply (24 taps)', 'device', `11 OK ${eget24}`],
  ['EGET reply (gate voltages)', 'device', '11 OK 1.25,0.5,2.5,0,1.75,0.000125,2.2,1e-3'],
  ['ESET command (taps)', 'host', '12 ESET 0:64,3:127,17:0'],
  ['ESET command (gate voltages)', 'host', '13 ESET 1:0.75,2:2.125,7:0'],
  ['ESET reply', 'device', '13 OK'],
  ['STEP command', 'host', '14 STEP eta=0.5 tgt=5:1.2,10:0.8'],
  ['STEP command (gate, amp)', 'host', '15 STEP eta=0.25 tgt=4:-0.5 amp=0.02'],
  ['STEP reply', 'device', '15 OK vf=1.087341,0.912205 changed=9'],
  ['SCHED BEGIN command', 'host', '16 SCHED BEGIN steps=200 examples=3 src=0,3 tgt=5,10 eta=0.5'],
  ['SCHED BEGIN command (gate, amp)', 'host', '17 SCHED BEGIN steps=1000 examples=2 src=0,1 tgt=4 eta=0.25 amp=0.02'],
  ['SCHED BEGIN reply', 'device', '17 OK'],
  ['SCHED EX command', 'host', '18 SCHED EX 0 in=3.3,0 out=1.2,0.8'],
  ['SCHED EX command (last example)', 'host', '19 SCHED EX 2 in=1.65,-0.5 out=0.9,0.125'],
  ['SCHED END command', 'host', '20 SCHED END'],
  ['SCHED END reply', 'device', '20 OK examples=3'],
  ['RUN command', 'host', '21 RUN'],
  ['RUN reply', 'device', '21 OK steps=200'],
  ['GRANT command', 'host', '22 GRANT 16'],
  ['GRANT reply', 'device', '22 OK credits=16'],
  ['HALT command', 'host', '23 HALT'],
  ['HALT reply', 'device', '23 OK step=37'],
  ['RESEND command', 'host', '24 RESEND 35'],
  ['RESEND reply', 'device', '24 OK 35 ex=2 vf=1.1,0.79 changed=4'],
  ['RESET command', 'host', '25 RESET boot=17'],
  ['RESET reply', 'device', '25 OK boot=17'],
  ['ID reply (tap board, protocol 1.4)', 'device', `2 OK ${tapId14}`],
  ['CYCLE command (1.4)', 'host', '32 CYCLE eta=0.5 src=0:3.3,3:0,12:1.65 tgt=5:1.2,10:0.8'],
  ['CYCLE command (1.4, no sources, n=4)', 'host', '33 CYCLE eta=0.25 src=- tgt=9:0.6 n=4'],
  ['CYCLE reply (1.4, 16 nodes: free and clamped states)', 'device', `32 OK vf=${meas16} vc=${meas16c}`],
  ['STEP command with sources (1.4)', 'host', '34 STEP eta=0.5 tgt=5:1.2,10:0.8 src=0:3.3,3:0,12:1.65'],
  ['STEP reply with the settings after the step (1.4)', 'device', `34 OK vf=1.087341,0.912205 changed=9 set=${eget24}`],
  ['STEP reply with gate voltages (1.4)', 'device', '35 OK vf=-0.5 changed=2 set=1.25,0.5,2.5,0,1.75,0.000125,2.2,0.001'],
  ['BOOT banner (1.4)', 'device', '! BOOT fw=1.1.0 proto=1.4 board=penn-gen1 boot=19'],
  ['SEQ at the wrap point', 'host', '65535 PING'],
  ['reply to SEQ 65535', 'device', '65535 OK'],
  ['BOOT banner', 'device', '! BOOT fw=1.0.3 proto=1.3 board=penn-gen1 boot=18'],
  ['FRAME event (first step)', 'device', '! FRAME 0 ex=0 vf=1.087341,0.912205 changed=9'],
  ['FRAME event', 'device', '! FRAME 36 ex=0 vf=1.19,0.805512 changed=0'],
  ['DONE event', 'device', '! DONE steps=200'],
  ['DONE event of a failed run', 'device', '! DONE steps=12 fail=409'],
  ['LOG event', 'device', '! LOG adc offset calibrated: -0.0012 V'],
  ['LOG event filling a whole line (1024 bytes before LF)', 'device', maxLog],
  ['ERR 400 reply', 'device', '26 ERR 400 MEAS n must be an integer, got 1.5'],
  ['ERR reply without a message', 'device', '26 ERR 400'],
  ['ERR 404 reply', 'device', '27 ERR 404 unknown verb FOO'],
  ['ERR 409 reply', 'device', '28 ERR 409 RUN without a schedule'],
  ['ERR 416 reply', 'device', '29 ERR 416 node 7 is not drivable'],
  ['ERR 424 reply', 'device', '29 ERR 424 run failed at step 12: 409 node 0 is clamped; release it first'],
  ['ERR 500 reply', 'device', '30 ERR 500 internal fault: ADC timeout'],
  ['ERR 503 reply', 'device', '31 ERR 503 busy: autonomous run active'],
].map(([name, dir, body]) => ({ name, dir, body, line: frame(body) }));

// Bad lines: one char per byte (latin1), each ending in its LF; `error` is the counter it bumps.
const good = '1 PING';
const goodCrc = hex(crc(good));
const wrongDigit = goodCrc.slice(0, 3) + (goodCrc[3] === '0' ? '1' : '0');
const badLines = [
  ['CRC wrong in one digit', `${good}*${wrongDigit}\n`, 'crc'],
  ['CRC in lower case', `4 OK credits=4*${hex(crc('4 OK credits=4')).toLowerCase()}\n`, 'crc'],
  ['CRC-16/XMODEM (init 0) instead of CCITT-FALSE', `${good}*${hex(crc(good, 0))}\n`, 'crc'],
  ['no *CCCC at all', `${good}\n`, 'crc'],
  ['CRC with 3 digits', `${good}*${goodCrc.slice(1)}\n`, 'crc'],
  ['CRC with 5 digits', `${good}*0${goodCrc}\n`, 'crc'],
  ['star but no digits', `${good}*\n`, 'crc'],
  ['space before the LF', `${good}*${goodCrc} \n`, 'crc'],
  ['space before the CRLF', `${good}*${goodCrc} \r\n`, 'crc'],
  ['star inside the body (CRC of the body correct)', `1 P*NG*${hex(crc('1 P*NG'))}\n`, 'crc'],
  ['body of a frame cut short (truncated)', `1 OK vf=1.087341,0.91\n`, 'crc'],
  ['frame cut inside the CRC', `${good}*${goodCrc.slice(0, 2)}\n`, 'crc'],
  ['tab in the body', `1\tPING*${hex(crc('1\tPING'))}\n`, 'garbage'],
  ['NUL byte', `1 PI\u0000NG*${hex(crc('1 PI\u0000NG'))}\n`, 'garbage'],
  ['DEL (0x7F)', `1 PING\u007f*${hex(crc('1 PING\u007f'))}\n`, 'garbage'],
  ['byte 0xFF (line noise)', `\u00ff\u00ff${good}*${goodCrc}\n`, 'garbage'],
  ['byte 0x80', `1 OK \u0080*${hex(crc('1 OK \u0080'))}\n`, 'garbage'],
  ['CR inside the line', `1 PI\rNG*${hex(crc('1 PI\rNG'))}\n`, 'garbage'],
  ['two CRs before the LF', `${good}*${goodCrc}\r\r\n`, 'garbage'],
  ['CR after garbage', `\u0003${good}*${goodCrc}\r\n`, 'garbage'],
  ['1025 bytes before the LF, no CR', `! LOG ${'x'.repeat(1019 - 6 + 1)}*0000\n`, 'overlong'],
  ['1026 bytes ending in CR', `! LOG ${'y'.repeat(1019 - 6 + 1)}*0000\r\n`, 'overlong'],
  ['4000 bytes of digits', `${'7'.repeat(4000)}\n`, 'overlong'],
  ['overlong and full of garbage', `${'\u0000\u00ff'.repeat(1500)}\n`, 'overlong'],
].map(([name, line, error]) => ({ name, line, error }));

// The lower-case vector must really be lower case (hex digits A-F present), else it would be valid.
const lc = badLines.find((b) => b.name === 'CRC in lower case');
if (!/[a-f]/.test(lc.line)) throw new Error('pick a body whose CRC has a letter');

// ---- conversations: the device's behaviour, rule by rule (PROTOCOL.md 1.3 and 1.4) ----
//
// Each script starts from a device that has just booted (boot counter 1, nothing driven, edges at power-on, all
// counters 0) whose board is described by `board` (the twins/models file of that name: its ID, node roles, ranges).
// A step sends `send` (raw bytes, one char per byte) and lists every line the device must send back, in order,
// before it falls silent (within PROTOCOL.md section 9's bounds). An expectation is one line:
//   {"reply": BODY, "line": LINE}   exactly this body (and these bytes)
//   {"ok": SEQ, "match": RE}        `SEQ OK` [+ ' ' + payload], the payload ('' if none) matching RE (or every RE of a list)
//   {"err": SEQ, "code": CODE}      `SEQ ERR CODE` [+ ' ' + any message]
//   {"event": KIND, "match": RE}    `! KIND` [+ ' ' + fields], the fields text matching RE
//   {"again": true}                 byte for byte the first line received after the previous step
// An empty list means that nothing at all comes back. REs use the subset common to POSIX ERE and ECMAScript
// (^ $ . [] * + ? () |, no \d). Values that depend on physics are matched loosely: a firmware on other hardware
// passes the same scripts.
const OK = (match = '^$') => (seq) => ({ ok: seq, match });
const ERR = (code) => (seq) => ({ err: seq, code });
const REPLY = (payload) => (seq) => ({ reply: payload === '' ? `${seq} OK` : `${seq} OK ${payload}`, line: frame(payload === '' ? `${seq} OK` : `${seq} OK ${payload}`) });
const EV = (event, match) => ({ event, match });
const EXACT = (body) => ({ reply: body, line: frame(body) });
const AGAIN = { again: true };
const field = (k, v) => `(^| )${k}=${v}( |$)`;
const NUM = '-?[0-9]+(\\.[0-9]+)?';
/** A number >= 0 (the law's values are the board's nominal ones: matched loosely, as physics is). */
const UNUM = '[0-9]+(\\.[0-9]+)?';
const FRAME_RE = (s, ex, nT = 1) => `^${s} ex=${ex} vf=${NUM}${`,${NUM}`.repeat(nT - 1)} changed=[0-9]+$`;

/**
 * A script; `protocol`, when given, is the one version the device under test must be booted to speak (its
 * expectations hold for that version only: an ID's proto=, a STEP reply with or without set=, a verb a version has
 * not). Without it the script holds nothing that a later version changes, so every device from 1.3 on passes it
 * (PROTOCOL.md 10: a 1.4 board is a 1.3 board that also has CYCLE, STEP src= and STEP's set=).
 */
function script(name, rule, board, build, protocol) {
  const steps = [];
  let seq = 0;
  let last = null;
  const push = (send, expect) => {
    last = send;
    steps.push({ send, expect: expect.map((e) => (typeof e === 'function' ? e(seq) : e)) });
  };
  const t = {
    /** A command with the next SEQ. */
    cmd: (text, ...expect) => {
      seq = seq >= 65535 ? 1 : seq + 1;
      push(frame(`${seq} ${text}`), expect);
    },
    /** A command with a given SEQ (the counter continues from it). */
    at: (n, text, ...expect) => {
      seq = n;
      push(frame(`${seq} ${text}`), expect);
    },
    /** Any body, framed with a correct CRC (the SEQ counter is left alone). */
    body: (body, ...expect) => push(frame(body), expect),
    /** Any body with SEQ `n` (the counter continues from it). */
    bodyAt: (n, body, ...expect) => {
      seq = n;
      push(frame(body), expect);
    },
    /** Raw bytes. */
    raw: (line, ...expect) => push(line, expect),
    /** The previous line again, byte for byte (a retry). */
    resend: (...expect) => push(last, expect),
    get seq() {
      return seq;
    },
    /** The version the script is written for (1.3 when the script names none). */
    proto: protocol ?? '1.3',
  };
  build(t);
  return protocol ? { name, rule, board, protocol, steps } : { name, rule, board, steps };
}

/**
 * One rule whose expected replies differ between versions (proto= in ID and the banner, STEP's set=): the script
 * for 1.3 and for 1.4, each written by `build(t)` from `t.proto`. `name` is a string (the 1.4 variant's gets
 * " (1.4)") or a function of the version.
 */
function versions(name, rule, board, build) {
  const named = (p) => (typeof name === 'function' ? name(p) : p === '1.3' ? name : `${name} (1.4)`);
  return ['1.3', '1.4'].map((p) => script(named(p), rule, board, build, p));
}

/** `proto=` of an ID or banner as an RE: the script's version exactly. */
const protoRe = (proto) => `proto=${proto.replace('.', '\\.')}`;
const gen1IdOf = (proto) =>
  `^${protoRe(proto)} fw=[^ ]+ board=penn-gen1 uid=[0-9A-Fa-f]+ boot=1 nodes=16 edges=33 drive=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 ` +
  `clamp=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 adc=12,0,5 dac=0,5 edge=tap,100 law=geometric,${UNUM},${UNUM} rate=10000 eta=0\\.000001,1 sched=65535 keep=256$`;
const gen2IdOf = (proto) =>
  `^${protoRe(proto)} fw=[^ ]+ board=penn-gen2 uid=[0-9A-Fa-f]+ boot=1 nodes=16 edges=32 drive=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 ` +
  `clamp=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 adc=12,0,1 dac=0,1 edge=gate,0,5 law=ohmic,${UNUM},${NUM} rate=10000 eta=0\\.000001,1 sched=65535 keep=256 amp=0,50 gstep=1$`;
/** `SEQ OK` payload of a CYCLE on a 16-node board: 16 free then 16 clamped readings. */
const CYCLE16 = `^vf=${NUM}(,${NUM}){15} vc=${NUM}(,${NUM}){15}$`;
const ref16IdOf = (proto) =>
  `^${protoRe(proto)} fw=[^ ]+ board=clln-ref16 uid=[0-9A-Fa-f]+ boot=1 nodes=16 edges=24 drive=0,1,2,3 clamp=12,13,14,15 ` +
  'adc=10,0,5 dac=0,4\\.998779 edge=tap,256 law=linear,1084\\.0625,11045 rate=9000 eta=0\\.000001,1 sched=48 keep=32$';
/**
 * A STEP reply payload as an RE: `vf=` with `nT` numbers and `changed=`, then from 1.4 `set=` with every edge's
 * setting (`edges` of them; taps as integers, gate voltages as numbers).
 */
const STEP_RE = (proto, nT, edges, gate = false) => {
  const s = gate ? NUM : '[0-9]+';
  return `^vf=${NUM}${`,${NUM}`.repeat(nT - 1)} changed=[0-9]+${proto === '1.3' ? '' : ` set=${s}(,${s}){${edges - 1}}`}$`;
};
// HARDWARE.md's rule: for each node of the 4x4 lattice in order, the edge to the right (col < 3), then down (row < 3).
const ref16Topo = (() => {
  const out = [];
  for (let n = 0; n < 16; n++) {
    if (n % 4 < 3) out.push(`${n}-${n + 1}`);
    if (n < 12) out.push(`${n}-${n + 4}`);
  }
  return out.join(',');
})();
const statZero = ['crc', 'overlong', 'garbage', 'dup', 'badseq'];
/** A 1019-byte body (a 1024-byte line): SRC with a voltage padded by zeros, which the grammar allows. */
const fullBody = (seq, extra = 0) => {
  const head = `${seq} SRC 0:0.5`;
  return head + '0'.repeat(1019 - head.length + extra);
};

const conversations = [
  ...versions((p) => `the ID reply: fields in order, version ${p}, the nominal law, the step limits, keep (tap board)`, '7.1, 10', 'penn-gen1', (t) => {
    t.cmd('ID', OK(gen1IdOf(t.proto)));
    t.cmd('STAT', OK('^boot=1 crc=0 overlong=0 garbage=0 dup=0 badseq=0 steps=0 run=none runstep=0 runerr=0$'));
  }),
  ...versions('the ID reply of a gate board: its ohmic law after edge=, amp and gstep last', '7.1', 'penn-gen2', (t) => {
    t.cmd('ID', OK(gen2IdOf(t.proto)));
  }),
  // The reference board (firmware/HARDWARE.md): everything in its ID is fixed by its hardware and firmware limits,
  // so it is matched exactly except fw= and uid= (written per build and per board).
  ...versions('the ID reply of the reference board clln-ref16: linear law, sched=48, keep=32; taps power on at 128', '7.1, 9, 10', 'clln-ref16', (t) => {
    t.cmd('ID', OK(ref16IdOf(t.proto)));
    t.cmd('TOPO', REPLY(ref16Topo));
    t.cmd('EGET', OK('^128(,128){23}$'));
    t.cmd('STAT', OK('^boot=1 crc=0 overlong=0 garbage=0 dup=0 badseq=0 steps=0 run=none runstep=0 runerr=0$'));
  }),
  // keep=32 on clln-ref16: a run of 40 steps granted at once; frames 8..39 are kept, 0..7 are not (416). The board's
  // keep is its own (twins/models/clln-ref16.json step.keep, the firmware's ring of 32 frames).
  script('RESEND of a frame older than the last keep frames is 416; the last keep frames are answered', '7, 8', 'clln-ref16', (t) => {
    t.cmd('SCHED BEGIN steps=40 examples=1 src=0,3 tgt=12 eta=0.5', REPLY(''));
    t.cmd('SCHED EX 0 in=4,0 out=1', REPLY(''));
    t.cmd('SCHED END', REPLY('examples=1'));
    t.cmd('RUN', REPLY('steps=40'));
    t.cmd('GRANT 40', REPLY('credits=40'), ...Array.from({ length: 40 }, (_, s) => EV('FRAME', FRAME_RE(s, 0))), EV('DONE', '^steps=40$'));
    t.cmd('RESEND 39', OK(FRAME_RE(39, 0)));
    t.cmd('RESEND 8', OK(FRAME_RE(8, 0))); // the oldest of the last 32
    t.cmd('RESEND 7', ERR(416)); // one older: not kept
    t.cmd('RESEND 0', ERR(416));
    t.cmd('RESEND 40', ERR(416)); // not produced
    t.cmd('RUN', REPLY('steps=40')); // a new run: the old frames are gone with it
    t.cmd('RESEND 8', ERR(416));
    t.cmd('GRANT 1', REPLY('credits=1'), EV('FRAME', FRAME_RE(0, 0)));
    t.cmd('RESEND 0', OK(FRAME_RE(0, 0)));
    t.cmd('HALT', REPLY('step=1'));
  }),
  script('empty lines are ignored and not counted', '1', 'penn-gen1', (t) => {
    t.raw('\n');
    t.raw('\r\n');
    t.raw('\n\n\n');
    t.cmd('STAT', OK(statZero.map((k) => field(k, 0))));
  }),
  script('rejected lines: no reply, one count each, overlong before garbage before crc', '1, 2', 'penn-gen1', (t) => {
    if (!/[A-F]/.test(hex(crc('1 PING')))) throw new Error('pick a body whose CRC has a letter');
    t.raw(`1 PING*${hex(crc('1 PING')).toLowerCase()}\n`); // lower-case CRC
    t.raw(`1 PING*${hex(crc('1 PING'))} \n`); // space before the LF: crc
    t.raw('1 PING\n'); // no CRC: crc
    t.raw(`1\tPING*${hex(crc('1\tPING'))}\n`); // TAB: garbage
    t.raw(`1 PI\rNG*${hex(crc('1 PI\rNG'))}\n`); // CR inside: garbage
    t.raw(`${'\u0000'.repeat(1100)}\n`); // overlong and garbage: overlong
    t.cmd('STAT', OK([field('crc', 3), field('garbage', 2), field('overlong', 1), field('badseq', 0)]));
  }),
  script('the 1024-byte limit does not count the CR', '1', 'penn-gen1', (t) => {
    const b1 = fullBody(1);
    t.raw(frame(b1).replace('\n', '\r\n'), EXACT('1 OK')); // 1024 bytes + CR + LF: valid
    const b2 = fullBody(2, 1);
    t.raw(frame(b2).replace('\n', '\r\n')); // 1025 bytes + CR + LF: overlong, no reply
    t.raw(frame(b2)); // 1025 bytes + LF: overlong
    t.at(3, 'STAT', OK([field('overlong', 2), field('crc', 0)]));
  }),
  script('a frame without a valid SEQ is not executed, not answered, and counted as badseq', '3.1', 'penn-gen1', (t) => {
    for (const bad of ['0', '65536', '-1', '+1', '01', '1.0', '1e3', 'x', '!']) t.body(`${bad} ESET 0:7`);
    t.body(' 1 ESET 0:7'); // leading space: the first field is empty
    t.body('! BOOT fw=1 proto=1.3 board=x boot=1');
    t.at(65535, 'EGET', OK('^50(,50)*$')); // none of them moved edge 0; 65535 is a valid SEQ
    t.cmd('STAT', OK([field('badseq', 11), field('dup', 0)])); // 65535 wraps to 1
  }),
  script('verbs are upper case and case-sensitive: anything else is 404; a malformed body is 400', '3, 3.2, 5', 'penn-gen1', (t) => {
    t.cmd('ping', ERR(404));
    t.cmd('Ping', ERR(404));
    t.cmd('FOO', ERR(404));
    t.cmd('PING2', ERR(404));
    t.bodyAt(5, '5', ERR(400)); // no verb
    t.at(6, 'PING', REPLY(''));
    t.bodyAt(7, '7 PING ', ERR(400)); // trailing space: an empty field
    t.bodyAt(8, '8  PING', ERR(400)); // two spaces
    t.at(9, 'PING extra', ERR(400));
    t.cmd('SCHED begin steps=1 examples=1 src=0 tgt=9 eta=0.5', ERR(400));
    t.cmd('MEAS N=4', ERR(400)); // keys are case-sensitive
  }),
  script('numbers: the JSON grammar; spelling errors are 400, values out of range 416', '3.3', 'penn-gen1', (t) => {
    for (const v of ['.5', '+0.5', '1.', '05', '0x1', '1,5', 'NaN', 'inf', '--1', '1e', '']) t.cmd(`SRC 0:${v}`, ERR(400));
    for (const v of ['0.5', '5E-1', '5e-1', '0.05e+1', '0', '-0', '5', '3.3']) t.cmd(`SRC 0:${v}`, REPLY(''));
    for (const v of ['1e999', '-1e999', '5.1', '-0.1', '1e3']) t.cmd(`SRC 0:${v}`, ERR(416));
  }),
  ...versions('voltages are rounded to 6 decimals before the range check', '3.3', 'penn-gen1', (t) => {
    t.cmd('SRC 0:5.0000004', REPLY('')); // 5.000000: inside 0..5
    t.cmd('SRC 0:5.0000008', ERR(416)); // 5.000001: outside
    t.cmd('SRC 0:-0.0000004', REPLY('')); // 0
    t.cmd('STEP eta=0.0000004 tgt=9:1', ERR(416)); // eta 0
    t.cmd('STEP eta=0.0000008 tgt=9:1', OK(STEP_RE(t.proto, 1, 33))); // eta 0.000001
  }),
  script('integers: digits only, no sign, no leading zero, no point or exponent', '3.3', 'penn-gen1', (t) => {
    for (const n of ['16.0', '1e1', '+16', '016', '-16', '0x10', '']) t.cmd(`MEAS n=${n}`, ERR(400));
    for (const n of ['0', '1025', '99999999999999999999999']) t.cmd(`MEAS n=${n}`, ERR(416));
    t.cmd('MEAS n=1', OK(`^${NUM}(,${NUM}){15}$`));
    t.cmd('MEAS', OK(`^${NUM}(,${NUM}){15}$`));
    t.cmd('MEAS n=4 n=4', ERR(400));
    t.cmd('MEAS k=4', ERR(400));
    t.cmd('ESET 0:7.0', ERR(400));
    t.cmd('ESET 0:7e0', ERR(400));
    t.cmd('ESET 0:-1', ERR(400));
    t.cmd('ESET 00:7', ERR(400));
    t.cmd('ESET 0:100', ERR(416));
    t.cmd('ESET 33:7', ERR(416));
    t.cmd('ESET 999999999999999999999:7', ERR(416));
    t.cmd('ESET 0:7,32:99', REPLY(''));
    t.cmd('EGET', OK('^7(,50){31},99$'));
  }),
  script('lists and pairs: no empty entries, an index once, all or nothing', '3.4', 'penn-gen1', (t) => {
    t.cmd('SRC 0:1,', ERR(400));
    t.cmd('SRC ,0:1', ERR(400));
    t.cmd('SRC 0:1,,3:1', ERR(400));
    t.cmd('SRC 0:1,0:2', ERR(400));
    t.cmd('SRC 0::1', ERR(400));
    t.cmd('SRC 0', ERR(400));
    t.cmd('SRC 0:1 3:1', ERR(400)); // a space splits the list into two arguments
    t.cmd('SRC 3:2.5,0:4', REPLY('')); // any order
    t.cmd('SRC 0:1,16:1', ERR(416)); // node 16 does not exist
    t.cmd('ESET 1:9,0:3', REPLY('')); // any order
    t.cmd('ESET 0:7,33:1', ERR(416)); // edge 33 does not exist: nothing applied, edge 0 keeps 3
    t.cmd('EGET', OK('^3,9(,50){31}$'));
    t.cmd('ESET 0:50,1:50', REPLY(''));
    t.cmd('ESET -', REPLY('')); // empty list: valid, changes nothing
    t.cmd('EGET', OK('^50(,50){32}$'));
    t.cmd('SRC -', REPLY(''));
    t.cmd('CLAMP -', REPLY(''));
  }),
  script('a node driven and clamped: 409 against the present state, 400 inside one command; 416 before 409', '5, 7', 'penn-gen1', (t) => {
    t.cmd('SRC 0:1', REPLY(''));
    t.cmd('CLAMP 0:1', ERR(409));
    t.cmd('CLAMP 0:1,16:1', ERR(416)); // a range problem comes first
    t.cmd('STEP eta=0.5 tgt=0:1', ERR(409));
    t.cmd('CLAMP 9:1', REPLY(''));
    t.cmd('SRC 9:1', ERR(409));
    t.cmd('SRC 9:1,0:9', ERR(416));
    t.cmd('SCHED BEGIN steps=1 examples=1 src=0,9 tgt=9 eta=0.5', ERR(400));
    t.cmd('SCHED BEGIN steps=1 examples=1 src=0,0 tgt=9 eta=0.5', ERR(400));
    t.cmd('SCHED BEGIN steps=1 examples=1 src=0 tgt=9,9 eta=0.5', ERR(400));
    t.cmd('SCHED BEGIN steps=1 examples=1 src=0,0 tgt=99 eta=0.5', ERR(400)); // 400 before 416
  }),
  ...versions('STEP: arguments, the ranges of eta and targets, no amp on a tap board, counted in STAT steps', '7', 'penn-gen1', (t) => {
    t.cmd('SRC 0:4,15:0', REPLY(''));
    t.cmd('STEP tgt=9:1', ERR(400));
    t.cmd('STEP eta=0.5', ERR(400));
    t.cmd('STEP eta=0.5 tgt=-', ERR(400));
    t.cmd('STEP eta=0.5 tgt=9:1 amp=1', ERR(400));
    t.cmd('STEP eta=0.5 tgt=9:1 foo=1', ERR(400));
    t.cmd('STEP eta=0 tgt=9:1', ERR(416));
    t.cmd('STEP eta=1.5 tgt=9:1', ERR(416));
    t.cmd('STEP eta=0.5 tgt=9:5.5', ERR(416));
    t.cmd('STEP eta=0.5 tgt=16:1', ERR(416));
    t.cmd('STAT', OK(field('steps', 0)));
    t.cmd('STEP tgt=9:1.2,10:3 eta=0.5', OK(STEP_RE(t.proto, 2, 33))); // keyed arguments in any order
    t.cmd('STEP eta=1 tgt=10:3', OK(STEP_RE(t.proto, 1, 33)));
    t.cmd('STAT', OK([field('steps', 2), field('run', 'none')]));
  }),
  ...versions('STEP on a gate board: amp within the ID range', '7', 'penn-gen2', (t) => {
    t.cmd('SRC 0:0.9,10:0', REPLY(''));
    t.cmd('STEP eta=0.5 tgt=5:0.3 amp=50.5', ERR(416));
    t.cmd('STEP eta=0.5 tgt=5:0.3 amp=-1', ERR(416));
    t.cmd('STEP eta=0.5 tgt=5:0.3 amp=x', ERR(400));
    t.cmd('STEP eta=0.5 tgt=5:0.3 amp=50', OK(STEP_RE(t.proto, 1, 32, true)));
    t.cmd('STEP eta=0.5 tgt=5:0.3', OK(STEP_RE(t.proto, 1, 32, true))); // amp defaults to 1
  }),
  ...versions('a retry of the last command is answered from the cache, byte for byte, and not executed again', '4', 'penn-gen1', (t) => {
    t.cmd('SRC 0:4,15:0', REPLY(''));
    t.cmd('STEP eta=0.5 tgt=9:1.2,10:3', OK(STEP_RE(t.proto, 2, 33)));
    t.resend(AGAIN);
    t.resend(AGAIN);
    t.cmd('STAT', OK([field('steps', 1), field('dup', 2)]));
    t.cmd('ESET 0:100', ERR(416)); // errors are cached too
    t.resend(AGAIN);
    t.cmd('STAT', OK([field('dup', 3)]));
  }),
  script('a late duplicate of an older command is refused (409), never executed again; the history holds 16', '4', 'penn-gen1', (t) => {
    t.at(100, 'ESET 0:7', REPLY(''));
    t.cmd('ESET 0:8', REPLY(''));
    t.cmd('ESET 0:9', REPLY(''));
    t.at(100, 'ESET 0:7', ERR(409)); // a late copy of the first
    t.at(103, 'EGET', OK('^9,'));
    t.cmd('STAT', OK(field('dup', 1)));
    t.at(101, 'ESET 0:5', REPLY('')); // same SEQ, other body (other CRC): a new command
    t.at(105, 'EGET', OK('^5,'));
    // 16 more commands push SEQ 100's entry out of the history: then it executes again
    for (let i = 0; i < 15; i++) t.cmd('PING', REPLY(''));
    t.at(100, 'ESET 0:7', REPLY(''));
    t.at(121, 'EGET', OK('^7,'));
    t.cmd('STAT', OK(field('dup', 1)));
  }),
  ...versions('RESET boot=N reboots once however often it is retried', '4, 7', 'penn-gen1', (t) => {
    t.cmd('ESET 0:9', REPLY(''));
    t.cmd('RESET', ERR(400));
    t.cmd('RESET boot=x', ERR(400));
    t.cmd('RESET boot=1', REPLY('boot=1'), EV('BOOT', `^fw=[^ ]+ ${protoRe(t.proto)} board=penn-gen1 boot=2$`));
    t.resend(REPLY('boot=2')); // the retry: the counter moved, no second reboot
    t.resend(AGAIN);
    t.cmd('STAT', OK('^boot=2 crc=0 overlong=0 garbage=0 dup=1 badseq=0 steps=0 run=none runstep=0 runerr=0$'));
    t.cmd('EGET', OK('^50(,50){32}$')); // the reboot restored the power-on settings
    t.cmd('RESET boot=7', REPLY('boot=2'));
  }),
  script('no run: RUN, GRANT and RESEND are 409, HALT answers step=0', '7, 8', 'penn-gen1', (t) => {
    t.cmd('RUN', ERR(409));
    t.cmd('GRANT 1', ERR(409));
    t.cmd('GRANT 65536', ERR(416)); // 416 before 409
    t.cmd('GRANT -1', ERR(400));
    t.cmd('GRANT 1.0', ERR(400));
    t.cmd('GRANT', ERR(400));
    t.cmd('RESEND 0', ERR(409));
    t.cmd('HALT', REPLY('step=0'));
    t.cmd('SCHED EX 0 in=1 out=1', ERR(409));
    t.cmd('SCHED END', ERR(409));
  }),
  script('schedule upload: ranges and counts', '7', 'penn-gen1', (t) => {
    t.cmd('SCHED BEGIN steps=0 examples=1 src=0 tgt=9 eta=0.5', ERR(416));
    t.cmd('SCHED BEGIN steps=1000000001 examples=1 src=0 tgt=9 eta=0.5', ERR(416));
    t.cmd('SCHED BEGIN steps=5 examples=0 src=0 tgt=9 eta=0.5', ERR(416));
    t.cmd('SCHED BEGIN steps=5 examples=65536 src=0 tgt=9 eta=0.5', ERR(416));
    t.cmd('SCHED BEGIN steps=5 examples=1 src=0 tgt=16 eta=0.5', ERR(416));
    t.cmd('SCHED BEGIN steps=5 examples=1 src=0 tgt=- eta=0.5', ERR(400));
    t.cmd('SCHED BEGIN steps=5 examples=1 src=0 tgt=9', ERR(400));
    t.cmd('SCHED BEGIN steps=5 examples=1 src=0 tgt=9 eta=0.5 amp=1', ERR(400));
    t.cmd('SCHED BEGIN steps=5 examples=2 src=- tgt=9 eta=0.5', REPLY(''));
    t.cmd('SCHED EX 0 in=1 out=1', ERR(400)); // no sources: in=-
    t.cmd('SCHED EX 0 in=- out=1,2', ERR(400));
    t.cmd('SCHED EX 2 in=- out=1', ERR(416));
    t.cmd('SCHED EX 0 in=- out=6', ERR(416));
    t.cmd('SCHED EX 0 in=- out=1', REPLY(''));
    t.cmd('RUN', ERR(409)); // not closed yet
    t.cmd('SCHED END', ERR(409)); // example 1 missing
    t.cmd('SCHED EX 1 in=- out=2', REPLY(''));
    t.cmd('SCHED EX 1 in=- out=2.5', REPLY('')); // overwrites
    t.cmd('SCHED END', REPLY('examples=2'));
    t.cmd('SCHED END', ERR(409)); // no upload open any more
    t.cmd('SCHED EX 0 in=- out=1', ERR(409));
  }),
  ...versions('an autonomous run: credits, frames, RESEND, DONE; STAT counts its steps; busy verbs are 503', '8', 'penn-gen1', (t) => {
    t.cmd('SCHED BEGIN steps=3 examples=2 src=0,15 tgt=9,10 eta=0.5', REPLY(''));
    t.cmd('SCHED EX 0 in=4,0 out=1.2,3', REPLY(''));
    t.cmd('SCHED EX 1 in=3,0 out=2,2', REPLY(''));
    t.cmd('SCHED END', REPLY('examples=2'));
    t.cmd('RUN', REPLY('steps=3')); // zero credits: no frame
    for (const c of ['MEAS', 'SRC -', 'CLAMP -', 'EGET', 'ESET 0:5', 'ESET 0:x', 'STEP eta=0.5 tgt=9:1', 'TOPO', 'RUN', 'SCHED END', 'RESET boot=1']) t.cmd(c, ERR(503));
    t.cmd('STEP eta=0.5 tgt=9:1 src=0:4', ERR(503)); // 503 before the 400 a 1.3 device finds in src=
    t.cmd('CYCLE eta=0.5 src=0:4 tgt=9:1', ERR(t.proto === '1.3' ? 404 : 503)); // a verb 1.3 does not know: 404 first
    t.cmd('FOO', ERR(404)); // 404 before 503
    t.cmd('PING', REPLY(''));
    t.cmd('ID', OK(gen1IdOf(t.proto)));
    t.cmd('GRANT 2', REPLY('credits=2'), EV('FRAME', FRAME_RE(0, 0, 2)), EV('FRAME', FRAME_RE(1, 1, 2)));
    t.cmd('STAT', OK([field('run', 'running'), field('runstep', 2), field('steps', 2)]));
    t.cmd('RESEND 1', OK(FRAME_RE(1, 1, 2)));
    t.cmd('RESEND 2', ERR(416)); // not produced yet
    t.cmd('RESEND 01', ERR(400));
    t.cmd('GRANT 5', REPLY('credits=5'), EV('FRAME', FRAME_RE(2, 0, 2)), EV('DONE', '^steps=3$'));
    t.cmd('GRANT 1', REPLY('credits=0'));
    t.cmd('HALT', REPLY('step=3')); // no DONE after HALT
    t.cmd('RESEND 0', OK(FRAME_RE(0, 0, 2)));
    t.cmd('STAT', OK([field('run', 'done'), field('runstep', 3), field('steps', 3), field('runerr', 0)]));
    t.cmd('MEAS', OK(`^${NUM}(,${NUM}){15}$`)); // no longer busy
  }),
  script('HALT stops a run after the step in progress and sends no DONE; RUN starts again from step 0', '7, 8', 'penn-gen1', (t) => {
    t.cmd('SCHED BEGIN steps=100 examples=1 src=0,15 tgt=9 eta=0.5', REPLY(''));
    t.cmd('SCHED EX 0 in=4,0 out=1', REPLY(''));
    t.cmd('SCHED END', REPLY('examples=1'));
    t.cmd('RUN', REPLY('steps=100'));
    t.cmd('GRANT 2', REPLY('credits=2'), EV('FRAME', FRAME_RE(0, 0)), EV('FRAME', FRAME_RE(1, 0)));
    t.cmd('HALT', REPLY('step=2'));
    t.cmd('HALT', REPLY('step=2'));
    t.cmd('GRANT 1', REPLY('credits=0'));
    t.cmd('STAT', OK([field('run', 'halted'), field('runstep', 2)]));
    t.cmd('RUN', REPLY('steps=100'));
    t.cmd('GRANT 1', REPLY('credits=1'), EV('FRAME', FRAME_RE(0, 0)));
    t.cmd('HALT', REPLY('step=1'));
  }),
  script('a run that cannot step fails: DONE with fail=, then STAT, GRANT, HALT and RESEND tell it', '8', 'penn-gen1', (t) => {
    t.cmd('CLAMP 0:1', REPLY('')); // a clamp on a source node: the first step's SRC is a conflict (409)
    t.cmd('SCHED BEGIN steps=5 examples=1 src=0,15 tgt=9 eta=0.5', REPLY(''));
    t.cmd('SCHED EX 0 in=4,0 out=1', REPLY(''));
    t.cmd('SCHED END', REPLY('examples=1'));
    t.cmd('RUN', REPLY('steps=5'));
    t.cmd('GRANT 3', REPLY('credits=3'), EV('DONE', '^steps=0 fail=409$'));
    t.cmd('STAT', OK([field('run', 'failed'), field('runstep', 0), field('runerr', 409), field('steps', 0)]));
    t.cmd('GRANT 1', ERR(424));
    t.cmd('HALT', ERR(424));
    t.cmd('RESEND 0', ERR(424));
    t.cmd('EGET', OK('^50(,50){32}$')); // nothing moved; the board is not busy
    t.cmd('CLAMP -', REPLY(''));
    t.cmd('RUN', REPLY('steps=5')); // a new run clears the failure
    t.cmd('STAT', OK([field('run', 'running'), field('runerr', 0)]));
    t.cmd('GRANT 1', REPLY('credits=1'), EV('FRAME', FRAME_RE(0, 0)));
    t.cmd('HALT', REPLY('step=1'));
  }),
  // ---- protocol 1.4: compound commands (PROTOCOL.md 7.2) ----
  script(
    'a 1.3 device has no CYCLE (404) and no STEP src= (400)',
    '7.2, 10',
    'penn-gen1',
    (t) => {
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=9:2', ERR(404));
      t.cmd('STEP eta=0.5 tgt=9:2 src=0:5', ERR(400));
      t.cmd('STAT', OK([field('steps', 0), field('dup', 0)]));
    },
    '1.3',
  ),
  script(
    'CYCLE (1.4): both states in one exchange; a retry is replayed; sources stay driven, clamps released, nothing moves',
    '4, 7.2, 10',
    'penn-gen1',
    (t) => {
      t.cmd('ID', OK(gen1IdOf('1.4')));
      t.cmd('CLAMP 3:1', REPLY('')); // released by the cycle
      t.cmd('CYCLE eta=0.5 src=0:5,15:0 tgt=9:2', OK(CYCLE16));
      t.resend(AGAIN);
      t.cmd('STAT', OK([field('steps', 0), field('dup', 1)]));
      t.cmd('EGET', OK('^50(,50){32}$'));
      t.cmd('CLAMP 0:1', ERR(409)); // node 0 is still driven
      t.cmd('SRC 0:5,15:0,3:1', REPLY('')); // node 3's clamp was released by the cycle
      t.cmd('CYCLE eta=1 src=- tgt=5:1,9:2 n=4', OK(CYCLE16));
      t.cmd('CLAMP 0:1', REPLY('')); // src=- released every source
    },
    '1.4',
  ),
  script(
    'CYCLE (1.4): 400 before 416 before 409, and a refused CYCLE changes nothing',
    '5, 7.2',
    'penn-gen1',
    (t) => {
      t.cmd('SRC 3:1', REPLY(''));
      t.cmd('CYCLE eta=0.5 src=0:5', ERR(400)); // tgt missing
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=-', ERR(400)); // no target
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=9:2 n=1.5', ERR(400));
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=9:2 amp=1', ERR(400));
      t.cmd('CYCLE eta=0.5 src=0:5,0:4 tgt=9:2', ERR(400));
      t.cmd('CYCLE eta=0.5 src=16:1 tgt=9:x', ERR(400)); // a spelling error in one list comes before a range error in the other
      t.cmd('CYCLE eta=5 src=0:5 tgt=9:2 n=x', ERR(400));
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=9:2 n=0', ERR(416));
      t.cmd('CYCLE eta=2 src=0:5 tgt=9:2', ERR(416));
      t.cmd('CYCLE eta=0.5 src=0:6 tgt=9:2', ERR(416));
      t.cmd('CYCLE eta=0.5 src=16:1 tgt=9:2', ERR(416));
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=9:-1', ERR(416));
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=0:9', ERR(416)); // a value problem comes before the conflict
      t.cmd('CYCLE eta=0.5 src=0:5 tgt=0:2', ERR(409));
      t.cmd('CLAMP 3:1', ERR(409)); // node 3 is still driven: nothing was applied
      t.cmd('CLAMP 0:1', REPLY('')); // and node 0 was never driven
    },
    '1.4',
  ),
  script(
    'STEP (1.4): src= drives the sources first; set= reports every edge after the step; a refused STEP changes nothing',
    '4, 7, 7.2',
    'penn-gen1',
    (t) => {
      t.cmd('CLAMP 3:1', REPLY(''));
      t.cmd('STEP eta=0.5 tgt=9:2 src=0:5,15:0', OK(`^vf=${NUM} changed=[0-9]+ set=[0-9]+(,[0-9]+){32}$`));
      t.resend(AGAIN);
      t.cmd('STAT', OK([field('steps', 1), field('dup', 1)]));
      t.cmd('CLAMP 0:1', ERR(409)); // node 0 is driven
      t.cmd('SRC 0:5,15:0,3:1', REPLY('')); // node 3's clamp was released by the step
      t.cmd('SRC 0:5', REPLY(''));
      t.cmd('STEP eta=0.5 tgt=0:2 src=0:5', ERR(409));
      t.cmd('STEP eta=0.5 tgt=9:x src=16:1', ERR(400)); // a spelling error in one list comes before a range error in the other
      t.cmd('STEP eta=0.5 tgt=9:2 src=0:5,0:4', ERR(400));
      t.cmd('STEP eta=2 tgt=9:2 src=3:1', ERR(416));
      t.cmd('STEP eta=0.5 tgt=9:2 src=3:9', ERR(416));
      t.cmd('CLAMP 3:1', REPLY('')); // node 3 was not driven by the refused steps
      t.cmd('CLAMP 0:1', ERR(409)); // and node 0 still is
      t.cmd('CLAMP -', REPLY(''));
      t.cmd('STEP eta=0.5 tgt=9:2', OK(`^vf=${NUM} changed=[0-9]+ set=[0-9]+(,[0-9]+){32}$`)); // the present sources
      t.cmd('STAT', OK(field('steps', 2)));
    },
    '1.4',
  ),
  // The reference board's node roles (drive 0-3, clamp 12-15, dac=0,4.998779) and its 24 taps in set=.
  script(
    'CYCLE and STEP src= (1.4) on the reference board clln-ref16: its drive and clamp nodes, its 24 taps in set=',
    '7.2',
    'clln-ref16',
    (t) => {
      t.cmd('ID', OK(ref16IdOf('1.4')));
      t.cmd('CYCLE eta=0.5 src=0:4,3:0 tgt=12:1,15:2', OK(CYCLE16));
      t.cmd('CYCLE eta=0.5 src=0:4 tgt=3:1', ERR(416)); // node 3 has no clamp channel
      t.cmd('CYCLE eta=0.5 src=12:4 tgt=15:1', ERR(416)); // node 12 has no drive channel
      t.cmd('CYCLE eta=0.5 src=0:4.99878 tgt=15:1', ERR(416)); // above dac=0,4.998779
      t.cmd('CYCLE eta=0.5 src=0:4.998779 tgt=15:4.998779 n=1', OK(CYCLE16));
      t.cmd('STEP eta=0.5 tgt=12:1 src=0:4,3:0', OK(STEP_RE('1.4', 1, 24)));
      t.cmd('STAT', OK(field('steps', 1)));
    },
    '1.4',
  ),
  script(
    'STEP (1.4) on a gate board: src= and amp, set= lists gate voltages',
    '7.2',
    'penn-gen2',
    (t) => {
      t.cmd('STEP eta=0.5 tgt=9:0.5 src=0:1,15:0 amp=1', OK(`^vf=${NUM} changed=[0-9]+ set=${NUM}(,${NUM}){31}$`));
    },
    '1.4',
  ),
  script('sequence numbers wrap from 65535 to 1', '3.1', 'penn-gen1', (t) => {
    t.at(65534, 'PING', REPLY(''));
    t.cmd('PING', REPLY(''));
    t.cmd('PING', REPLY('')); // SEQ 1
    t.cmd('STAT', OK(field('badseq', 0)));
  }),
];
for (const c of conversations) for (const st of c.steps) if (!st.send.endsWith('\n')) throw new Error(`${c.name}: a send must end in LF`);

const dir = dirname(fileURLToPath(import.meta.url));
// Pure ASCII files: bytes 0x7F..0xFF are written as \u escapes (JSON.stringify escapes only the controls).
const json = (x) => JSON.stringify(x, null, 1).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
writeFileSync(join(dir, 'frames.json'), json(frames));
writeFileSync(join(dir, 'bad-lines.json'), json(badLines));
writeFileSync(join(dir, 'conversations.json'), json(conversations));
console.log(`${frames.length} frames, ${badLines.length} bad lines, ${conversations.length} conversations (${conversations.reduce((n, c) => n + c.steps.length, 0)} steps)`);

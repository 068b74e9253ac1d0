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
const tapId =
  'proto=1 fw=1.0.3 board=penn-gen1 uid=3A7F09C2 boot=17 nodes=16 edges=24 drive=0,3,12,15 clamp=5,6,9,10 ' +
  'adc=12,0,3.3 dac=0,3.3 edge=tap,128 rate=50000';
const gateId =
  'proto=1 fw=0.9.1 board=gate-proto uid=0000BEEF boot=3 nodes=6 edges=8 drive=0,1,5 clamp=4 adc=16,-5,5 ' +
  'dac=-5,5 edge=gate,0,2.5 rate=100000';
const gateTopo = '0-1,0-2,1-3,2-3,2-4,3-4,3-5,4-5';
const meas16 =
  '3.3,2.871204,2.440117,0,2.912388,2.503361,2.087412,0.412907,2.498016,2.099554,1.701233,0.825006,' +
  '3.3,2.481957,1.650012,0.000244';
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
  ['TOPO command', 'host', '3 TOPO'],
  ['TOPO reply (tap board, 4x4 grid)', 'device', `3 OK ${grid.join(',')}`],
  ['TOPO reply (gate board)', 'device', `3 OK ${gateTopo}`],
  ['STAT command', 'host', '4 STAT'],
  ['STAT reply', 'device', '4 OK boot=17 crc=2 overlong=0 garbage=1 dup=3 steps=1200'],
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
  ['RESEND reply', 'device', '24 OK FRAME 35 ex=2 vf=1.1,0.79 changed=4'],
  ['RESET command', 'host', '25 RESET'],
  ['RESET reply', 'device', '25 OK'],
  ['SEQ at the wrap point', 'host', '65535 PING'],
  ['reply to SEQ 65535', 'device', '65535 OK'],
  ['BOOT banner', 'device', '! BOOT fw=1.0.3 proto=1 board=penn-gen1 boot=18'],
  ['FRAME event (first step)', 'device', '! FRAME 0 ex=0 vf=1.087341,0.912205 changed=9'],
  ['FRAME event', 'device', '! FRAME 36 ex=0 vf=1.19,0.805512 changed=0'],
  ['DONE event', 'device', '! DONE steps=200'],
  ['LOG event', 'device', '! LOG adc offset calibrated: -0.0012 V'],
  ['LOG event filling a whole line (1024 bytes before LF)', 'device', maxLog],
  ['ERR 400 reply', 'device', '26 ERR 400 MEAS n=0 outside 1..1024'],
  ['ERR 404 reply', 'device', '27 ERR 404 unknown verb FOO'],
  ['ERR 409 reply', 'device', '28 ERR 409 RUN without a schedule'],
  ['ERR 416 reply', 'device', '29 ERR 416 node 7 is not drivable'],
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
  ['star inside the body (CRC of the body correct)', `1 P*NG*${hex(crc('1 P*NG'))}\n`, 'crc'],
  ['empty line', '\n', 'crc'],
  ['CR only', '\r\n', 'crc'],
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

const dir = dirname(fileURLToPath(import.meta.url));
// Pure ASCII files: bytes 0x7F..0xFF are written as \u escapes (JSON.stringify escapes only the controls).
const json = (x) => JSON.stringify(x, null, 1).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
writeFileSync(join(dir, 'frames.json'), json(frames));
writeFileSync(join(dir, 'bad-lines.json'), json(badLines));
console.log(`${frames.length} frames, ${badLines.length} bad lines`);

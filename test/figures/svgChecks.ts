/**
 * Checks of the figures as a reader of the paper sees them, written from the SVG and PNG formats (not from the
 * figure code): a small XML reader, the text boxes each <text> takes (estimated from its font size and string:
 * 0.56 em per character, Helvetica's average advance, 0.75 em above the baseline and 0.2 em below), overlaps,
 * axis and colour-bar labels with units, and a PNG decoder (signature, IHDR, IDAT inflated with node:zlib and
 * unfiltered) to count the pixels that are not background.
 */
import { inflateSync } from 'node:zlib';

export interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
  parent?: Node;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string): string => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]);

/** Parse an SVG document (the subset clln writes: elements, attributes in double quotes, text, entities). */
export function parseSvg(doc: string): Node {
  const body = doc.replace(/^<\?xml[^>]*\?>\s*/, '');
  const root: Node = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: Node[] = [root];
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    const top = stack[stack.length - 1];
    if (m[5] !== undefined) {
      top.text += decode(m[5]);
      continue;
    }
    if (m[1] === '/') {
      if (top.name !== m[2]) throw new Error(`</${m[2]}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3].matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]] = decode(a[2]);
    const node: Node = { name: m[2], attrs, children: [], text: '', parent: top };
    top.children.push(node);
    if (m[4] !== '/') stack.push(node);
  }
  if (stack.length !== 1) throw new Error('unclosed element');
  const svg = root.children.find((c) => c.name === 'svg');
  if (!svg) throw new Error('no <svg>');
  return svg;
}

export function all(node: Node, pred: (n: Node) => boolean, out: Node[] = []): Node[] {
  if (pred(node)) out.push(node);
  for (const c of node.children) all(c, pred, out);
  return out;
}

export const byClass = (root: Node, cls: string): Node[] => all(root, (n) => (n.attrs.class ?? '').split(' ').includes(cls));

/** An attribute as the element inherits it (SVG presentation attributes are inherited). */
export function inherited(n: Node, name: string): string | undefined {
  for (let p: Node | undefined = n; p; p = p.parent) if (p.attrs[name] !== undefined) return p.attrs[name];
  return undefined;
}

export interface Box {
  text: string;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  fontSize: number;
}

/** The box each <text> takes, px, estimated from its font size and its string. */
export function textBoxes(root: Node): Box[] {
  return all(root, (n) => n.name === 'text').map((t) => {
    const fs = Number(inherited(t, 'font-size'));
    const w = [...t.text].length * 0.56 * fs;
    const x = Number(t.attrs.x);
    let y = Number(t.attrs.y);
    const dy = t.attrs.dy;
    if (dy && dy.endsWith('em')) y += Number(dy.slice(0, -2)) * fs;
    const anchor = inherited(t, 'text-anchor') ?? 'start';
    const along0 = anchor === 'middle' ? -w / 2 : anchor === 'end' ? -w : 0;
    const rot = /rotate\(-90 ([-\d.]+) ([-\d.]+)\)/.exec(t.attrs.transform ?? '');
    if (rot) {
      // rotated a quarter turn anticlockwise about its anchor: the string runs upwards, glyphs stand to the left
      return { text: t.text, x0: x - 0.75 * fs, x1: x + 0.2 * fs, y0: y - along0 - w, y1: y - along0, fontSize: fs };
    }
    return { text: t.text, x0: x + along0, x1: x + along0 + w, y0: y - 0.75 * fs, y1: y + 0.2 * fs, fontSize: fs };
  });
}

/** Pairs of text boxes that overlap (by more than 0.5 px each way), and boxes outside the canvas. */
export function layoutProblems(root: Node): string[] {
  const W = Number(root.attrs.width);
  const H = Number(root.attrs.height);
  const boxes = textBoxes(root).filter((b) => b.text.trim() !== '');
  const problems: string[] = [];
  for (const b of boxes) {
    if (b.x0 < -0.5 || b.y0 < -0.5 || b.x1 > W + 0.5 || b.y1 > H + 0.5) problems.push(`outside the ${W}x${H} canvas: ${JSON.stringify(b)}`);
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const ox = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
      const oy = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
      if (ox > 0.5 && oy > 0.5) problems.push(`${JSON.stringify(a.text)} overlaps ${JSON.stringify(b.text)}`);
    }
  }
  return problems;
}

/** Units an axis or colour bar may name (the quantities clln plots), in parentheses at the end of its label. */
export const UNITS = ['S', 'V', 'V^2', 'V^2/S^2', 's', 'count', 'dimensionless', 'tap position'];

/** The unit at the end of a label, `quantity (unit)`, or undefined. */
export function unitOf(label: string): string | undefined {
  const m = /\(([^()]+)\)\s*$/.exec(label);
  return m && UNITS.includes(m[1]) ? m[1] : undefined;
}

// ------------------------------------------------------------------ PNG

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel (colour type 6 or 2 expanded). */
  rgba: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decode an 8-bit RGB or RGBA, non-interlaced PNG (what the rasteriser writes); throws on anything else. */
export function decodePng(buf: Buffer): DecodedPng {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  sig.forEach((b, i) => {
    if (buf[i] !== b) throw new Error('not a PNG signature');
  });
  let off = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Buffer[] = [];
  let ended = false;
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8) throw new Error(`bit depth ${data[8]}`);
      colourType = data[9];
      if (data[12] !== 0) throw new Error('interlaced');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    off += 12 + len;
  }
  if (!ended || width === 0) throw new Error('no IHDR or IEND');
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  if (bpp === 0) throw new Error(`colour type ${colourType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  if (raw.length !== height * (stride + 1)) throw new Error(`IDAT holds ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      const v = f === 0 ? x : f === 1 ? x + a : f === 2 ? x + b : f === 3 ? x + ((a + b) >> 1) : f === 4 ? x + paeth(a, b, c) : NaN;
      if (Number.isNaN(v)) throw new Error(`filter type ${f}`);
      px[y * stride + i] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[4 * p] = px[p * bpp];
    rgba[4 * p + 1] = px[p * bpp + 1];
    rgba[4 * p + 2] = px[p * bpp + 2];
    rgba[4 * p + 3] = bpp === 4 ? px[p * bpp + 3] : 255;
  }
  return { width, height, rgba };
}

// Draws the app's icons from build/icon-source.svg, in plain Node so `npm run dist` needs no image
// tool: PNGs for Linux, an .ico for Windows and an .icns for macOS, each container holding PNGs.
// The SVG reader knows <rect> (with rx) and <circle>, filled and stroked with #rgb/#rrggbb colours;
// anything else in the source is an error rather than something silently left out of the icons.
//
//   node build/make-icons.mjs [--out DIR]     (default: build/; writes icons/NxN.png, icon.png, icon.ico, icon.icns)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';

export const LINUX_SIZES = [16, 32, 48, 64, 128, 256, 512];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS element types that hold a PNG, with the pixel size each must have. */
export const ICNS_TYPES = [
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
];

// ---- the SVG subset

function attributes(text) {
  const out = {};
  for (const [, name, value] of text.matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) out[name] = value;
  return out;
}

function colour(value) {
  if (value === undefined || value === 'none') return null;
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value);
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(value);
  const parts = short ? short.slice(1).map((d) => d + d) : long ? long.slice(1) : null;
  if (parts === null) throw new Error(`unsupported colour ${JSON.stringify(value)} (use #rgb, #rrggbb or none)`);
  return parts.map((p) => parseInt(p, 16) / 255);
}

function number(attrs, name, fallback) {
  const raw = attrs[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new Error(`missing ${name}`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name}="${raw}" is not a number`);
  return value;
}

/** Signed distance (negative inside) from a point to a rounded rectangle. */
function roundedRectDistance(x, y, r) {
  const cx = r.x + r.w / 2;
  const cy = r.y + r.h / 2;
  const qx = Math.abs(x - cx) - (r.w / 2 - r.rx);
  const qy = Math.abs(y - cy) - (r.h / 2 - r.rx);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r.rx;
}

/** The source as a list of shapes, each a signed distance function with its paint. */
export function readSvg(text) {
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  const root = /<svg\b([^>]*)>/.exec(body);
  if (!root) throw new Error('no <svg> element');
  const viewBox = (attributes(root[1]).viewBox ?? '').trim().split(/[\s,]+/).map(Number);
  if (viewBox.length !== 4 || viewBox.some((n) => !Number.isFinite(n)) || viewBox[2] !== viewBox[3]) throw new Error('the icon needs a square viewBox');
  const shapes = [];
  for (const [, name, rest] of body.matchAll(/<\s*([\w:-]+)\b([^>]*)>/g)) {
    if (name === 'svg') continue;
    const a = attributes(rest);
    for (const key of Object.keys(a)) {
      if (!['x', 'y', 'width', 'height', 'rx', 'cx', 'cy', 'r', 'fill', 'stroke', 'stroke-width'].includes(key)) throw new Error(`<${name}> attribute ${key} is not supported`);
    }
    let distance;
    if (name === 'circle') {
      const cx = number(a, 'cx');
      const cy = number(a, 'cy');
      const r = number(a, 'r');
      distance = (x, y) => Math.hypot(x - cx, y - cy) - r;
    } else if (name === 'rect') {
      const rect = { x: number(a, 'x', 0), y: number(a, 'y', 0), w: number(a, 'width'), h: number(a, 'height'), rx: number(a, 'rx', 0) };
      rect.rx = Math.min(rect.rx, rect.w / 2, rect.h / 2);
      distance = (x, y) => roundedRectDistance(x, y, rect);
    } else {
      throw new Error(`<${name}> is not supported (only <rect> and <circle>)`);
    }
    // SVG's default fill is black; say "none" to leave it out.
    shapes.push({ distance, fill: a.fill === undefined ? [0, 0, 0] : colour(a.fill), stroke: colour(a.stroke), strokeWidth: number(a, 'stroke-width', 1) });
  }
  return { origin: [viewBox[0], viewBox[1]], extent: viewBox[2], shapes };
}

// ---- drawing

/**
 * RGBA pixels, straight alpha. Coverage comes from each shape's distance at the pixel centre,
 * measured in pixels (a one-pixel ramp across the edge): smooth edges at every size, and the same
 * bytes on every machine.
 */
export function render(svg, size) {
  const scale = size / svg.extent;
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = svg.origin[0] + (px + 0.5) / scale;
      const y = svg.origin[1] + (py + 0.5) / scale;
      // Premultiplied while compositing.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      const over = (paint, coverage) => {
        if (paint === null || coverage <= 0) return;
        r = paint[0] * coverage + r * (1 - coverage);
        g = paint[1] * coverage + g * (1 - coverage);
        b = paint[2] * coverage + b * (1 - coverage);
        a = coverage + a * (1 - coverage);
      };
      for (const shape of svg.shapes) {
        const d = shape.distance(x, y) * scale;
        over(shape.fill, Math.min(1, Math.max(0, 0.5 - d)));
        if (shape.stroke !== null) over(shape.stroke, Math.min(1, Math.max(0, 0.5 - (Math.abs(d) - (shape.strokeWidth * scale) / 2))));
      }
      const at = (py * size + px) * 4;
      if (a > 0) {
        pixels[at] = Math.round((r / a) * 255);
        pixels[at + 1] = Math.round((g / a) * 255);
        pixels[at + 2] = Math.round((b / a) * 255);
      }
      pixels[at + 3] = Math.round(a * 255);
    }
  }
  return pixels;
}

// ---- PNG

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit RGBA PNG; each row filtered with Sub (small for flat colour areas). */
export function encodePng(pixels, size) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const stride = size * 4;
  const raw = Buffer.alloc((stride + 1) * size);
  for (let y = 0; y < size; y++) {
    const out = y * (stride + 1);
    raw[out] = 1; // Sub
    for (let i = 0; i < stride; i++) {
      const left = i >= 4 ? pixels[y * stride + i - 4] : 0;
      raw[out + 1 + i] = (pixels[y * stride + i] - left) & 0xff;
    }
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// ---- ICO and ICNS

/** An .ico whose entries are PNGs (Windows Vista and later); a 256 size is written as 0. */
export function encodeIco(pngs) {
  const head = Buffer.alloc(6);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2); // icon
  head.writeUInt16LE(pngs.length, 4);
  let offset = 6 + 16 * pngs.length;
  const entries = pngs.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry[0] = size >= 256 ? 0 : size;
    entry[1] = size >= 256 ? 0 : size;
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([head, ...entries, ...pngs.map(({ png }) => png)]);
}

/** An .icns: the 'icns' magic and total length, then one (type, length, PNG) element per size. */
export function encodeIcns(elements) {
  const parts = elements.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((sum, part) => sum + part.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

// ---- the command

export function makeIcons(sourceText, outDir) {
  const svg = readSvg(sourceText);
  const sizes = [...new Set([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, size]) => size)])].sort((a, b) => a - b);
  const pngs = new Map(sizes.map((size) => [size, encodePng(render(svg, size), size)]));
  mkdirSync(join(outDir, 'icons'), { recursive: true });
  const written = [];
  const write = (name, bytes) => {
    writeFileSync(join(outDir, name), bytes);
    written.push(name);
  };
  // electron-builder reads a folder of NxN.png for Linux; icon.png is the general-purpose one.
  for (const size of LINUX_SIZES) write(join('icons', `${size}x${size}.png`), pngs.get(size));
  write('icon.png', pngs.get(1024));
  write('icon.ico', encodeIco(ICO_SIZES.map((size) => ({ size, png: pngs.get(size) }))));
  write('icon.icns', encodeIcns(ICNS_TYPES.map(([type, size]) => ({ type, png: pngs.get(size) }))));
  return written;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  const outIndex = process.argv.indexOf('--out');
  const outDir = outIndex >= 0 ? process.argv[outIndex + 1] : import.meta.dirname;
  const written = makeIcons(readFileSync(join(import.meta.dirname, 'icon-source.svg'), 'utf8'), outDir);
  console.log(`wrote ${written.length} files to ${outDir}: ${written.join(', ')}`);
}

// SPDX-License-Identifier: MIT
// A small PNG reader and a tolerant image comparison for the signing page's screenshots
// (tests/js/pam-page-states.js against docs/screenshots/; issue 18).  No dependencies: the
// PNG format (RFC 2083 / ISO 15948) decoded with Node's zlib — 8-bit greyscale, RGB,
// palette (1/2/4/8 bit, with tRNS), grey+alpha and RGBA, non-interlaced: what Chromium's
// screenshots and pngquant write.  Anything else is refused by name.
'use strict';
const zlib = require('zlib');

const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// decode(buf) → { width, height, data: Uint8Array RGBA }
function decode(buf) {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIG)) throw new Error('not a PNG file');
  let off = 8, hdr = null, palette = null, trns = null;
  const idat = [];
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) throw new Error(`PNG chunk ${type} runs past the end`);
    const body = buf.subarray(off + 8, off + 8 + len);
    off += 12 + len;
    if (type === 'IHDR') {
      hdr = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8],
              color: body[9], interlace: body[12] };
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
  }
  if (!hdr) throw new Error('PNG without IHDR');
  const { width, height, depth, color } = hdr;
  if (hdr.interlace) throw new Error('interlaced PNG not supported');
  const chans = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[color];
  if (!chans) throw new Error(`PNG colour type ${color} not supported`);
  if (color === 3 ? ![1, 2, 4, 8].includes(depth) : depth !== 8) {
    throw new Error(`PNG bit depth ${depth} with colour type ${color} not supported`);
  }
  if (color === 3 && !palette) throw new Error('palette PNG without PLTE');
  if (width < 1 || height < 1 || width * height > 64e6) throw new Error('PNG size out of range');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = Math.ceil((width * chans * depth) / 8), bpp = Math.max(1, (chans * depth) >> 3);
  if (raw.length < (stride + 1) * height) throw new Error('PNG image data is short');
  const cur = Buffer.alloc(stride), prev = Buffer.alloc(stride);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      let v = line[i];
      switch (f) {
      case 0: break;
      case 1: v += a; break;
      case 2: v += b; break;
      case 3: v += (a + b) >> 1; break;
      case 4: {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        break;
      }
      default: throw new Error(`PNG filter ${f} on row ${y}`);
      }
      cur[i] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (color === 3) {
        const bit = x * depth, idx = (cur[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        out[o] = palette[idx * 3]; out[o + 1] = palette[idx * 3 + 1]; out[o + 2] = palette[idx * 3 + 2];
        out[o + 3] = trns && idx < trns.length ? trns[idx] : 255;
      } else {
        const p = x * chans;
        if (color === 0 || color === 4) {
          out[o] = out[o + 1] = out[o + 2] = cur[p];
          out[o + 3] = color === 4 ? cur[p + 1] : 255;
        } else {
          out[o] = cur[p]; out[o + 1] = cur[p + 1]; out[o + 2] = cur[p + 2];
          out[o + 3] = color === 6 ? cur[p + 3] : 255;
        }
      }
    }
    cur.copy(prev);
  }
  return { width, height, data: out };
}

// compare(a, b, { ignore: [{x, y, w, h}], tolerance }) → { diff, compared, size }
// A pixel differs when a channel (alpha-composited on white) differs by more than
// tolerance (0..255; absorbs the 64-colour palette of the checked-in files).  Pixels inside
// an ignore rectangle (the page's per-run values: code, nonce, expiry, fingerprint,
// signature) are skipped.  A difference in size is reported as size: false, every pixel of
// the larger image outside the smaller one counted as different.
function compare(a, b, opts = {}) {
  const tol = opts.tolerance === undefined ? 48 : opts.tolerance;
  const ign = (opts.ignore || []).map((r) => ({ x0: Math.floor(r.x), y0: Math.floor(r.y),
    x1: Math.ceil(r.x + r.w), y1: Math.ceil(r.y + r.h) }));
  const W = Math.min(a.width, b.width), H = Math.min(a.height, b.height);
  const skip = (x, y) => ign.some((r) => x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1);
  const ch = (d, o, k) => d[o + k] * d[o + 3] / 255 + 255 - d[o + 3];
  let diff = 0, compared = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (ign.length && skip(x, y)) continue;
      compared++;
      const oa = (y * a.width + x) * 4, ob = (y * b.width + x) * 4;
      for (let k = 0; k < 3; k++) {
        if (Math.abs(ch(a.data, oa, k) - ch(b.data, ob, k)) > tol) { diff++; break; }
      }
    }
  }
  const extra = a.width * a.height + b.width * b.height - 2 * W * H;
  return { diff: diff + Math.max(0, extra), compared,
           size: a.width === b.width && a.height === b.height };
}

module.exports = { decode, compare };

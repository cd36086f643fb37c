// Test files made at run time: small PNGs the API accepts, one too large
// for the e2e server's MAX_FILE_BYTES, and a text file.
import { crc32, deflateSync } from "node:zlib";
import { randomBytes } from "node:crypto";

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** encodePNG encodes width x height RGB pixels (3 bytes each, row by row). */
export function encodePNG(width, height, rgb, level = 9) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    rows[y * (width * 3 + 1)] = 0; // filter: none
    rgb.copy(rows, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows, { level })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * scene draws a vertical gradient from `top` to `bottom` with a pale disc
 * at (cx, cy) of radius r (fractions of the width): distinct bytes per
 * call, so the API's per-owner dedupe keeps every upload.
 */
export function scene(width, height, top, bottom, { cx = 0.5, cy = 0.45, r = 0.18 } = {}) {
  const rgb = Buffer.alloc(width * height * 3);
  const disc = [255, 246, 214];
  for (let y = 0; y < height; y++) {
    const t = y / (height - 1);
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const dx = x / width - cx;
      const dy = (y - cy * height) / width;
      const inDisc = dx * dx + dy * dy < r * r;
      for (let c = 0; c < 3; c++) {
        rgb[i + c] = inDisc ? disc[c] : Math.round(top[c] + (bottom[c] - top[c]) * t);
      }
    }
  }
  return encodePNG(width, height, rgb);
}

/** noise is a PNG of random pixels: it does not compress, so its size is about 3 x width x height. */
export function noise(width, height) {
  return encodePNG(width, height, randomBytes(width * height * 3), 1);
}

import { crc32, deflateSync, type ZlibOptions } from 'node:zlib';

// zlib's default level: a pass of 17.6 KB in 2.8 ms, where level 8 (memLevel 9) gives 15.0 KB in 9.3 ms and
// level 3 21.2 KB in 0.9 ms. Telegram re-encodes the photo anyway; the CPU is shared with the chats.
const DEFLATE: ZlibOptions = { level: 6 };

/**
 * Encode opaque RGBA pixels as an 8-bit palette PNG. A pass is a few flat colours plus anti-aliased text, so
 * one byte per pixel instead of four makes the chat image less than half the size; colours beyond the 256
 * most frequent (only faint anti-aliasing steps) take the nearest palette entry. The QR is pure black and
 * white, so its modules are never touched.
 */
export function encodeIndexedPng(rgba: Uint8Array, width: number, height: number): Buffer {
  const { raw, assemble } = indexed(rgba, width, height);
  return assemble(deflateSync(raw, DEFLATE));
}

/** The palette and the unfiltered index rows; `assemble` wraps the compressed rows into the PNG. */
function indexed(rgba: Uint8Array, width: number, height: number) {
  const pixels = width * height;
  // Pixels as 0xBBGGRR keys (little-endian view, alpha masked off); runs of one colour are counted at once
  // because flat areas make up most of a pass.
  const aligned = rgba.byteOffset % 4 === 0 ? rgba : new Uint8Array(rgba);
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, pixels);
  const counts = new Map<number, number>();
  for (let i = 0; i < pixels;) {
    const c = words[i]! & 0xffffff;
    let j = i + 1;
    while (j < pixels && (words[j]! & 0xffffff) === c) j++;
    counts.set(c, (counts.get(c) ?? 0) + (j - i));
    i = j;
  }
  const palette = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 256)
    .map(([c]) => c);
  const index = new Map<number, number>(palette.map((c, i) => [c, i]));
  for (const c of counts.keys()) {
    if (index.has(c)) continue;
    let best = 0;
    let bestDistance = Infinity;
    for (let i = 0; i < palette.length; i++) {
      const p = palette[i]!;
      const dr = (p & 255) - (c & 255);
      const dg = ((p >> 8) & 255) - ((c >> 8) & 255);
      const db = ((p >> 16) & 255) - ((c >> 16) & 255);
      const distance = dr * dr + dg * dg + db * db;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    index.set(c, best);
  }

  // Each row: filter type 0 (none) then one index per pixel. Flat areas deflate well without filtering.
  const raw = Buffer.alloc(height * (width + 1));
  let lastColour = -1;
  let lastIndex = 0;
  for (let y = 0; y < height; y++) {
    const row = y * (width + 1) + 1;
    const start = y * width;
    for (let x = 0; x < width; x++) {
      const c = words[start + x]! & 0xffffff;
      if (c !== lastColour) {
        lastColour = c;
        lastIndex = index.get(c)!;
      }
      raw[row + x] = lastIndex;
    }
  }

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((c, i) => {
    plte[i * 3] = c & 255;
    plte[i * 3 + 1] = (c >> 8) & 255;
    plte[i * 3 + 2] = (c >> 16) & 255;
  });
  const assemble = (idat: Buffer) =>
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('PLTE', plte),
      chunk('IDAT', idat),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  return { raw, assemble };
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

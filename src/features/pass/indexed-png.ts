import { crc32, deflateSync, type ZlibOptions } from 'node:zlib';

// zlib level 3: a pass of 22 KB in 2.0 ms, where the default level 6 gives 18.5 KB in 5.8 ms (2026-11-29).
// Telegram re-encodes the photo anyway; the CPU is shared with the chats.
const DEFLATE: ZlibOptions = { level: 3 };

/**
 * Encode opaque RGBA pixels as an 8-bit palette PNG. A pass is a few flat colours plus anti-aliased text, so
 * one byte per pixel instead of four makes the chat image less than half the size; colours beyond the 256
 * most frequent (only faint anti-aliasing steps) take the nearest palette entry. The QR is pure black and
 * white, so its modules are never touched.
 */
export function encodeIndexedPng(rgba: Uint8Array, width: number, height: number): Buffer {
  const image = IndexedImage.fromRgba(rgba, width, height);
  if (image) return image.encode();
  const words = pixelWords(rgba, width * height);
  const { raw, palette } = byFrequency(words, width, height);
  return png(width, height, palette, deflateSync(raw, DEFLATE));
}

/** Pixels as 0xBBGGRR keys (a little-endian view; alpha is masked off where they are read). */
function pixelWords(rgba: Uint8Array, pixels: number): Uint32Array {
  const aligned = rgba.byteOffset % 4 === 0 ? rgba : new Uint8Array(rgba);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, pixels);
}

/** The unfiltered index rows (filter type 0, then one index per pixel) and the palette, as 0xBBGGRR colours. */
interface Indexed {
  raw: Buffer;
  palette: number[];
}

/**
 * A palette image of at most 256 colours, as PNG index rows, that can be drawn on: the pass is composed of a
 * cached background with the holder's lines and QR put on a copy (pass-image.ts). Colours are given the next
 * palette index when first seen; a 257th colour fails the drawing (the caller falls back to the general encoder).
 */
export class IndexedImage {
  private constructor(
    readonly width: number,
    readonly height: number,
    /** index rows, each a filter byte (0: none) and one index per pixel */
    private readonly raw: Buffer,
    private readonly palette: number[],
    private readonly index: Map<number, number>,
  ) {}

  /** The image of these opaque RGBA pixels; undefined when they have more than 256 colours. */
  static fromRgba(rgba: Uint8Array, width: number, height: number): IndexedImage | undefined {
    const image = new IndexedImage(width, height, Buffer.alloc(height * (width + 1)), [], new Map());
    const drawn = image.paste(rgba, width, 0, 0, width, height, true);
    return drawn ? image : undefined;
  }

  /** A copy to draw on, leaving this one as it is. */
  copy(): IndexedImage {
    return new IndexedImage(this.width, this.height, Buffer.from(this.raw), [...this.palette], new Map(this.index));
  }

  /**
   * Puts opaque RGBA pixels (an image `srcWidth` wide) here: columns [x0, x1) of rows [y0, y1), from the source's
   * same columns and its rows from 0. False when that makes more than 256 colours (the image is then unusable).
   * `fresh`: every index here is still 0, so runs of the first colour need not be written.
   */
  paste(rgba: Uint8Array, srcWidth: number, x0: number, y0: number, x1: number, y1: number, fresh = false): boolean {
    const words = pixelWords(rgba, srcWidth * (y1 - y0));
    const { raw, width } = this;
    for (let y = y0; y < y1; y++) {
      const row = y * (width + 1) + 1;
      const start = (y - y0) * srcWidth;
      // each run of one colour along the row is looked up and written at once: flat areas make up most of a pass
      for (let x = x0; x < x1;) {
        const c = words[start + x]! & 0xffffff;
        let end = x + 1;
        while (end < x1 && (words[start + end]! & 0xffffff) === c) end++;
        const i = this.indexOf(c);
        if (i === undefined) return false;
        if (i !== 0 || !fresh) {
          if (end - x > 16) raw.fill(i, row + x, row + end);
          else for (let k = x; k < end; k++) raw[row + k] = i;
        }
        x = end;
      }
    }
    return true;
  }

  /** Fills the rectangle [x, x + w) × [y, y + h) with one colour (0xBBGGRR); false beyond 256 colours. */
  fill(colour: number, x: number, y: number, w: number, h: number): boolean {
    const i = this.indexOf(colour);
    if (i === undefined) return false;
    for (let r = y; r < y + h; r++) {
      const row = r * (this.width + 1) + 1;
      this.raw.fill(i, row + x, row + x + w);
    }
    return true;
  }

  encode(): Buffer {
    return png(this.width, this.height, this.palette, deflateSync(this.raw, DEFLATE));
  }

  private indexOf(colour: number): number | undefined {
    let i = this.index.get(colour);
    if (i === undefined) {
      if (this.palette.length === 256) return undefined;
      i = this.palette.length;
      this.index.set(colour, i);
      this.palette.push(colour);
    }
    return i;
  }
}

/**
 * More than 256 colours: the 256 most frequent make the palette and the others (only faint anti-aliasing steps)
 * take the nearest entry. Runs of one colour are counted at once because flat areas make up most of a pass.
 */
function byFrequency(words: Uint32Array, width: number, height: number): Indexed {
  const pixels = width * height;
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

  return { raw, palette };
}

/** The PNG around the compressed index rows. */
function png(width: number, height: number, palette: number[], idat: Buffer): Buffer {
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
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeIndexedPng, IndexedImage } from '../../src/features/pass/indexed-png.js';

function rgbaOf(width: number, height: number, colour: (x: number, y: number) => [number, number, number]) {
  const px = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      px.set([r, g, b, 255], (y * width + x) * 4);
    }
  return px;
}

describe('palette PNG', () => {
  it('keeps every colour exactly when there are at most 256', async () => {
    const rgba = rgbaOf(16, 16, (x, y) => [x * 16, y * 16, (x + y) % 7]);
    const back = PNG.sync.read(await encodeIndexedPng(rgba, 16, 16));
    expect([back.width, back.height]).toEqual([16, 16]);
    for (let i = 0; i < 256; i++)
      expect([...back.data.subarray(i * 4, i * 4 + 4)]).toEqual([...rgba.subarray(i * 4, i * 4 + 4)]);
  });

  it('keeps runs of every length, the first colour’s included, across rows', async () => {
    // a long run of white (the first colour seen), long and short runs of others, white again between them
    const colours: [number, number, number][] = [
      [255, 255, 255],
      [27, 127, 59],
      [0, 0, 0],
      [200, 10, 10],
    ];
    const pick = (x: number, y: number) => (x < 20 ? 0 : x < 45 ? 1 : x < 47 ? (x + y) % 4 : x % 3 === 0 ? 2 : 0);
    const rgba = rgbaOf(60, 3, (x, y) => colours[pick(x, y)]!);
    const back = PNG.sync.read(await encodeIndexedPng(rgba, 60, 3));
    expect([...back.data]).toEqual([...rgba]);
  });

  it('maps rare colours beyond 256 to the nearest frequent one', async () => {
    // 256 frequent greys (two pixels each) and one rare near-red pixel
    const width = 513;
    const rgba = rgbaOf(width, 1, (x) => (x === 512 ? [250, 3, 2] : [x >> 1, x >> 1, x >> 1]));
    rgba.set([255, 0, 0, 255], 0); // one frequent red (replaces grey 0 twice → counted with pixel 1)
    rgba.set([255, 0, 0, 255], 4);
    const back = PNG.sync.read(await encodeIndexedPng(rgba, width, 1));
    expect([...back.data.subarray(512 * 4, 512 * 4 + 3)]).toEqual([255, 0, 0]);
    expect([...back.data.subarray(100 * 4, 100 * 4 + 3)]).toEqual([50, 50, 50]);
  });

  it('draws on a copy: pasted pixels and filled squares, the original untouched, a 257th colour refused', () => {
    const white: [number, number, number] = [255, 255, 255];
    const original = rgbaOf(8, 6, (x) => (x === 0 ? [200, 0, 0] : white));
    const base = IndexedImage.fromRgba(original, 8, 6)!;
    const copy = base.copy();
    // a 4×2 strip of greys put on columns 2..6 of rows 1..3, and a black 2×2 square at (5, 4)
    const strip = rgbaOf(8, 2, (x, y) => [x * 20 + y, x * 20 + y, x * 20 + y]);
    expect(copy.paste(strip, 8, 2, 1, 6, 3)).toBe(true);
    expect(copy.fill(0, 5, 4, 2, 2)).toBe(true);
    const back = PNG.sync.read(copy.encode());
    const at = (x: number, y: number) => [...back.data.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 3)];
    expect(at(0, 1)).toEqual([200, 0, 0]);
    expect(at(1, 1)).toEqual(white);
    expect(at(2, 1)).toEqual([40, 40, 40]);
    expect(at(5, 2)).toEqual([101, 101, 101]);
    expect(at(6, 2)).toEqual(white);
    expect(at(5, 4)).toEqual([0, 0, 0]);
    expect(at(6, 5)).toEqual([0, 0, 0]);
    expect(at(7, 5)).toEqual(white);
    expect(at(4, 4)).toEqual(white);
    expect([...PNG.sync.read(base.encode()).data]).toEqual([...original]);

    // 2 colours so far; 254 more fit, the 257th does not
    const many = IndexedImage.fromRgba(
      rgbaOf(2, 1, (x) => (x === 0 ? [1, 2, 3] : [4, 5, 6])),
      2,
      1,
    )!;
    for (let i = 0; i < 254; i++) expect(many.fill(0x010000 * 7 + i, 0, 0, 1, 1)).toBe(true);
    expect(many.fill(0xabcdef, 0, 0, 1, 1)).toBe(false);
  });
});

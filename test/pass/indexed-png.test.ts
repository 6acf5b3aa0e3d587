import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeIndexedPng } from '../../src/features/pass/indexed-png.js';

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
});

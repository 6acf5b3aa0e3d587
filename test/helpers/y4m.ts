import { PNG } from 'pngjs';

/**
 * A Y4M video (what Chromium's --use-file-for-fake-video-capture plays, looping) showing a PNG centred on a white
 * frame, as a phone camera held over a pass would see it: 4:2:0 (I420) planes, written by hand.
 */
export function pngToY4m(png: Buffer, opts: { width?: number; height?: number; frames?: number } = {}): Buffer {
  const W = opts.width ?? 1280;
  const H = opts.height ?? 720;
  const frames = opts.frames ?? 5;
  const img = PNG.sync.read(png);
  // Fit the image into 90 % of the frame (nearest neighbour: a QR's modules stay sharp), centred.
  const scale = Math.min((W * 0.9) / img.width, (H * 0.9) / img.height);
  const w = Math.floor(img.width * scale);
  const h = Math.floor(img.height * scale);
  const x0 = Math.floor((W - w) / 2);
  const y0 = Math.floor((H - h) / 2);
  const rgb = (x: number, y: number): [number, number, number] => {
    const ix = x - x0;
    const iy = y - y0;
    if (ix < 0 || iy < 0 || ix >= w || iy >= h) return [255, 255, 255];
    const sx = Math.min(img.width - 1, Math.floor(ix / scale));
    const sy = Math.min(img.height - 1, Math.floor(iy / scale));
    const i = (sy * img.width + sx) * 4;
    const a = img.data[i + 3]! / 255;
    // Transparent parts over white paper.
    return [0, 1, 2].map((c) => Math.round(img.data[i + c]! * a + 255 * (1 - a))) as [number, number, number];
  };
  // Full-range BT.601 (JPEG) coefficients, as C420jpeg says.
  const Y = Buffer.alloc(W * H);
  const U = Buffer.alloc((W / 2) * (H / 2));
  const V = Buffer.alloc((W / 2) * (H / 2));
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [r, g, b] = rgb(x, y);
      Y[y * W + x] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  for (let y = 0; y < H / 2; y++) {
    for (let x = 0; x < W / 2; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = rgb(2 * x + dx, 2 * y + dy);
        r += p[0];
        g += p[1];
        b += p[2];
      }
      r /= 4;
      g /= 4;
      b /= 4;
      U[y * (W / 2) + x] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      V[y * (W / 2) + x] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Y, U, V]);
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${W} H${H} F5:1 Ip A1:1 C420jpeg\n`),
    ...Array.from({ length: frames }, () => frame),
  ]);
}

/** The luma plane of the first frame of a Y4M written by pngToY4m, as RGBA (for a decode check in Node). */
export function firstFrameRgba(y4m: Buffer): { data: Uint8ClampedArray; width: number; height: number } {
  const header = y4m.subarray(0, y4m.indexOf(0x0a)).toString();
  const width = Number(/ W(\d+)/.exec(header)![1]);
  const height = Number(/ H(\d+)/.exec(header)![1]);
  const start = y4m.indexOf('FRAME\n') + 6;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = y4m[start + i]!;
    data[i * 4] = v;
    data[i * 4 + 1] = v;
    data[i * 4 + 2] = v;
    data[i * 4 + 3] = 255;
  }
  return { data, width, height };
}

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CardImageData, PassImageData } from './pass-image.js';

export type ImageJob = { id: number } & ({ kind: 'pass'; data: PassImageData } | { kind: 'card'; data: CardImageData });
export type ImageResult = { id: number; png: Uint8Array; error?: undefined } | { id: number; error: string };

/**
 * Passes and printed cards are drawn on a thread of their own (image-worker.ts), started with the first image
 * and kept for the next: a pass is about 8 ms of QR, resvg and palette PNG (pass-image.ts composePass), a printed
 * card more, which every chat update in flight would otherwise wait for. One thread: images are few next to
 * updates, and a second core is what it needs. Run from the TypeScript sources (tests, `npm run dev`), the
 * thread loads them through tsx.
 *
 * The thread holds the process open only while it has work. If it dies, the images it was drawing fail (the
 * dialog apologises) and the next image starts a new one.
 */
let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (png: Buffer) => void; reject: (err: Error) => void }>();

function thread(): Worker {
  if (worker) return worker;
  const w = import.meta.url.endsWith('.ts')
    ? // a worker does not take the parent's loader: this one registers tsx's, then loads the TypeScript
      new Worker(
        `import(${JSON.stringify(tsxLoader())})
          .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./image-worker.ts', import.meta.url).href)}); })`,
        { eval: true },
      )
    : new Worker(new URL('./image-worker.js', import.meta.url));
  w.unref();
  w.on('message', (r: ImageResult) => {
    const job = pending.get(r.id);
    if (!job) return;
    pending.delete(r.id);
    if (pending.size === 0) w.unref();
    if (r.error !== undefined) job.reject(new Error(`image not drawn: ${r.error}`));
    else job.resolve(Buffer.from(r.png.buffer, r.png.byteOffset, r.png.byteLength));
  });
  const fail = (err: Error) => {
    if (worker === w) worker = undefined;
    for (const job of pending.values()) job.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the image thread stopped (exit code ${code})`)));
  worker = w;
  return w;
}

/** tsx's ESM API (`tsx/esm/api`, its `import` entry) as a file URL. */
function tsxLoader(): string {
  const root = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  return pathToFileURL(path.join(root, 'dist/esm/api/index.mjs')).href;
}

function draw(job: DistributiveOmit<ImageJob, 'id'>): Promise<Buffer> {
  const w = thread();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ ...job, id });
  });
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The pass image (pass-image.ts renderPassPng), drawn on the image thread. */
export const drawPass = (data: PassImageData): Promise<Buffer> => draw({ kind: 'pass', data });

/** The printed card (pass-image.ts renderCardPng), drawn on the image thread. */
export const drawCard = (data: CardImageData): Promise<Buffer> => draw({ kind: 'card', data });

import { parentPort } from 'node:worker_threads';
import { renderCardPng, renderPassPng } from './pass-image.js';
import type { ImageJob, ImageResult } from './image-thread.js';

/**
 * The image thread (image-thread.ts): draws passes and printed cards — the QR, the SVG, resvg and the palette
 * PNG — away from the event loop that answers the chats.
 */
const port = parentPort;
if (!port) throw new Error('image-worker.ts runs as a worker thread (image-thread.ts starts it)');
/**
 * One image at a time: images drawn side by side (on libuv's threads) would each hold their pixels and resvg's
 * fonts at once, in each thread's own allocator arena — 16 at a time took the process from 90 to 290 MB.
 */
let queue: Promise<void> = Promise.resolve();
port.on('message', (job: ImageJob) => {
  queue = queue.then(async () => {
    try {
      const png = await (job.kind === 'pass' ? renderPassPng(job.data) : renderCardPng(job.data));
      port.postMessage({ id: job.id, png } satisfies ImageResult);
    } catch (err) {
      port.postMessage({ id: job.id, error: (err as Error)?.message ?? String(err) } satisfies ImageResult);
    }
  });
});

import { parentPort } from 'node:worker_threads';
import { renderCardPng, renderPassPng } from './pass-image.js';
import type { ImageJob, ImageResult } from './image-thread.js';

/**
 * The image thread (image-thread.ts): draws passes and printed cards — the QR, the SVG, resvg and the palette
 * PNG — away from the event loop that answers the chats.
 */
const port = parentPort;
if (!port) throw new Error('image-worker.ts runs as a worker thread (image-thread.ts starts it)');
port.on('message', (job: ImageJob) => {
  const drawn = job.kind === 'pass' ? renderPassPng(job.data) : renderCardPng(job.data);
  drawn.then(
    (png) => port.postMessage({ id: job.id, png } satisfies ImageResult),
    (err: unknown) =>
      port.postMessage({ id: job.id, error: (err as Error)?.message ?? String(err) } satisfies ImageResult),
  );
});

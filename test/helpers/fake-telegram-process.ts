/**
 * The fake Bot API in a process of its own, for tests that measure a send rate at it
 * (`test/outbox/three-instances.test.ts`). Its timestamps are only as prompt as its event loop; in the test's own
 * process that loop was seen 190–490 ms late on a busy machine, bunching what it recorded. Here it has a process to
 * itself, raised in priority where allowed.
 *
 *   node --import tsx test/helpers/fake-telegram-process.ts
 *
 * Prints one JSON line, `{"apiRoot", "token", "control"}`, then serves on `control`:
 *   POST /rate?perSecond=30&sliding=1   setRateLimit
 *   GET  /calls?from=N                  the recorded calls from the N-th on (RecordedCall[], without uploaded files;
 *                                       a call's status can still change while its answer is being made)
 *   GET  /lag                           its event loop's delay since the rate was set: {p99, max} in ms
 * and exits when its stdin closes (the test ended, or died).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startFakeTelegram } from './fake-telegram.js';

try {
  os.setPriority(-10);
} catch {
  // needs root; the default priority otherwise
}
const tg = await startFakeTelegram();
const lag = monitorEventLoopDelay({ resolution: 5 });
const control = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'POST' && url.pathname === '/rate') {
    const perSecond = url.searchParams.get('perSecond');
    tg.setRateLimit(perSecond ? Number(perSecond) : undefined, { sliding: url.searchParams.get('sliding') === '1' });
    lag.reset();
    lag.enable();
    res.writeHead(204).end();
  } else if (req.method === 'GET' && url.pathname === '/lag') {
    const ms = (ns: number) => Math.round(ns / 1e6);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ p99: ms(lag.percentile(99)), max: ms(lag.max) }));
  } else if (req.method === 'GET' && url.pathname === '/calls') {
    const from = Number(url.searchParams.get('from') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tg.calls.slice(from)));
  } else {
    res.writeHead(404).end();
  }
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
process.stdout.write(
  `${JSON.stringify({ apiRoot: tg.apiRoot, token: tg.token, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));

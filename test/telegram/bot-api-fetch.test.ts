import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Api, HttpError, InputFile } from 'grammy';
import { afterAll, describe, expect, it } from 'vitest';
import { botApiFetch } from '../../src/channels/telegram/bot-api-fetch.js';

interface Received {
  method?: string;
  url?: string;
  contentType?: string;
  body: Buffer;
}

const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A Bot API stand-in: records each request, answers `{ ok, result }` — or never, when `hang` says so. */
async function botApi(hang = false): Promise<{ root: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks),
      });
      if (hang) return;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, result: { message_id: received.length, text: 'Xin chào' } }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('the Bot API client fetch (keep-alive requests instead of node-fetch)', () => {
  it('sends JSON calls and reads their JSON answers, Vietnamese intact', async () => {
    const { root, received } = await botApi();
    const api = new Api('123:abc', { apiRoot: root, fetch: botApiFetch });
    const sent = await api.sendMessage(42, 'Vui lòng khai báo y tế');
    expect(sent).toMatchObject({ message_id: 1, text: 'Xin chào' });
    expect(received[0]).toMatchObject({ method: 'POST', url: '/bot123:abc/sendMessage' });
    expect(JSON.parse(received[0]!.body.toString('utf8'))).toEqual({ chat_id: 42, text: 'Vui lòng khai báo y tế' });
  });

  it('pipes an upload (multipart stream) whole', async () => {
    const { root, received } = await botApi();
    const api = new Api('123:abc', { apiRoot: root, fetch: botApiFetch });
    const image = Buffer.alloc(200_000, 7);
    await api.sendPhoto(
      42,
      new InputFile(Readable.from([image.subarray(0, 100_000), image.subarray(100_000)]), 'p.png'),
    );
    expect(received[0]!.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(received[0]!.body.length).toBeGreaterThan(image.length);
    expect(received[0]!.body.includes(image)).toBe(true);
  });

  it('gives up at the timeout with grammY’s HttpError, and works again after', async () => {
    const silent = await botApi(true);
    const api = new Api('123:abc', { apiRoot: silent.root, fetch: botApiFetch, timeoutSeconds: 0.3 });
    const started = Date.now();
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError);
    expect(Date.now() - started).toBeLessThan(3_000);

    const { root } = await botApi();
    const ok = new Api('123:abc', { apiRoot: root, fetch: botApiFetch });
    expect(await ok.getMe()).toMatchObject({ message_id: 1 });
  });

  it('an unreachable Bot API is an HttpError, not a crash', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const api = new Api('123:abc', { apiRoot: `http://127.0.0.1:${port}`, fetch: botApiFetch });
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError);
  });
});

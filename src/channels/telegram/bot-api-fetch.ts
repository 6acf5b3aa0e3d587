import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

/** One keep-alive pool per protocol for every Bot API call of the process. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** What grammY's client passes to fetch: a JSON string, or a multipart stream for an upload. */
interface BotApiInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Readable;
  signal?: { aborted: boolean; addEventListener(type: 'abort', fn: () => void): void };
}

/** What grammY's client reads from the answer: its JSON body (the Bot API answers JSON, errors included). */
interface BotApiResponse {
  status: number;
  ok: boolean;
  json(): Promise<unknown>;
}

/**
 * The Bot API client's fetch: one `http.request` on a keep-alive socket per call, the answer read whole and parsed.
 * grammY's default on Node is node-fetch, whose Request/Headers/Body objects cost more per call than the call's own
 * work on loopback or a local Bot API server; a reply is the hot path of every update. Uploads (a pass image)
 * arrive as a stream and are piped, as node-fetch does. Redirects are not followed (the Bot API sends none).
 */
export const botApiFetch = ((input: string | URL, init: BotApiInit = {}): Promise<BotApiResponse> =>
  new Promise<BotApiResponse>((resolve, reject) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) return reject(new TypeError(`unsupported protocol ${url.protocol}`));
    const { signal } = init;
    if (signal?.aborted) return reject(abortError());
    const body = init.body;
    const headers = { ...init.headers };
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: init.method ?? 'GET',
      headers,
      agent,
    });
    signal?.addEventListener('abort', () => req.destroy(abortError()));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, json: async () => JSON.parse(text) as unknown });
      });
    });
    if (body === undefined) req.end();
    else if (typeof body === 'string') req.end(body);
    else {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  })) as unknown as typeof fetch;

function abortError(): Error {
  const err = new Error('The Bot API call was aborted');
  err.name = 'AbortError';
  return err;
}

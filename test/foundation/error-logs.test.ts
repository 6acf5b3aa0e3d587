import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(String(chunk));
    done();
  },
});

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ logger: pino({ level: 'debug' }, sink) as unknown as FastifyBaseLogger });
  // A failing query the way drizzle reports it: the message carries the statement's parameters.
  svc.app.get('/__failed-query', async () => {
    throw new Error('Failed query: select * from people where phone = $1\nparams: +84912345678');
  });
});
afterAll(() => svc.close());

describe('unhandled errors', () => {
  it('are logged without the query parameters a database error carries', async () => {
    const r = await svc.app.inject({ url: '/__failed-query' });
    expect(r.statusCode).toBe(500);
    const logged = lines.join('');
    expect(logged).toContain('unhandled error');
    expect(logged).toContain('Failed query');
    expect(logged).not.toContain('84912345678');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
  // A route that fails the way a bug would, to check 5xx hides internals.
  svc.app.get('/__boom', async () => {
    throw new Error('secret internals: password=hunter2');
  });
});
afterAll(() => svc.close());

describe('http basics', () => {
  it('healthz and readyz answer 200 when the database is there', async () => {
    expect((await svc.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const r = await svc.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ready' });
  });

  it('404 uses the contract error shape and a request id header', async () => {
    const r = await svc.app.inject({ url: '/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    expect(r.headers['x-request-id']).toBeTruthy();
  });

  it('5xx never shows internals', async () => {
    const r = await svc.app.inject({ url: '/__boom' });
    expect(r.statusCode).toBe(500);
    expect(r.json()).toEqual({ error: { code: 'INTERNAL', message: expect.any(String) } });
    expect(r.body).not.toContain('hunter2');
  });

  it('metrics expose request latency by route and status, and process metrics', async () => {
    await svc.app.inject({ url: '/healthz' });
    const r = await svc.app.inject({ url: '/metrics', headers: adminHeaders });
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/http_request_duration_seconds_bucket\{.*route="\/healthz".*status="200"/);
    expect(r.body).toContain('process_cpu_user_seconds_total');
  });

  it('publishes the pass public key as a JWK set', async () => {
    const r = await svc.app.inject({ url: '/.well-known/khaibao/pass-keys.json' });
    expect(r.statusCode).toBe(200);
    expect(r.json().keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: expect.any(String) });
    expect(r.json().keys[0].d).toBeUndefined();
  });
});

describe('logs', () => {
  it('keep tokens and query strings out of logged URLs', async () => {
    const { redactUrl } = await import('../../src/service.js');
    expect(redactUrl('/v/AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAh?lang=en')).toBe('/v/:redacted?…');
    expect(redactUrl('/c/K7QX3M')).toBe('/c/K7QX3M');
    expect(redactUrl('/api/v1/venues/3f2c1a9e-8b7d-4c6e-9f10-112233445566/visits?from=x')).toBe(
      '/api/v1/venues/:redacted/visits?…',
    );
    // An official's invite code is short but redeemable: whoever reads it in a log could become an official.
    expect(redactUrl('/o/K7QX3MPA2Z')).toBe('/o/:redacted');
    expect(redactUrl('/v/short')).toBe('/v/:redacted');
  });
});

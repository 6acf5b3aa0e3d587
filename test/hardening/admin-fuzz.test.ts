import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVenue } from '../../src/features/venues/store.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * 200 mutated requests (1,000 in `npm run bench`) against the admin API with a valid admin token, on app.inject (no network): every
 * route from the app's own route table, with params, queries and bodies bent out of shape (wrong types, NUL,
 * huge numbers, deep nesting, long strings, repeated parameters, unknown properties, broken JSON). Zero 5xx,
 * and the service still answers properly afterwards. FUZZ_SEED=<n> replays another sequence;
 * FUZZ_REQUESTS=<n> runs more.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 20210714);

const rng = seededRandom;

type Rng = ReturnType<typeof rng>;

const deep = (n: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = i % 2 ? { a: v } : [v];
  return v;
};

/** Values of every type and edge, for JSON bodies. */
const weirdValues = (r: Rng): unknown[] => [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  2 ** 53 + 2, // past Number.MAX_SAFE_INTEGER
  999999999999,
  1.5,
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'x'.repeat(100_000),
  '\ud800',
  '<script>alert(1)</script>',
  "'; drop table accounts; --",
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-14:00',
  '2021-02-30T00:00:00Z',
  '1e30',
  'NaN',
  '00000000-0000-0000-0000-000000000000',
  [],
  [1, 'a', null],
  {},
  { $ne: 1 },
  { __proto__: { admin: true } },
  deep(40),
  deep(r.int(10) + 1),
];

/** Strings for path and query parameters (already URL-encoded where needed). */
const weirdParams = [
  '',
  'x',
  '-1',
  '0',
  '1e30',
  '999999999999',
  '%00',
  'a%00b',
  '%ZZ',
  '%',
  '..%2F..%2Fetc%2Fpasswd',
  'x'.repeat(5000),
  '00000000-0000-0000-0000-000000000000',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-14:00',
  'true',
  '%F0%9F%98%80',
  '%E2%80%AE',
  '[]',
  '{}',
];

const QUERY_KEYS = [
  'limit',
  'offset',
  'from',
  'to',
  'wardCode',
  'q',
  'districtCode',
  'status',
  'lang',
  'clientId',
  't',
  'dryRun',
  'role',
  '__proto__',
];

function sampleBodies(venueId: string): Record<string, unknown> {
  return {
    'POST /api/v1/venues': {
      name: 'Quán Cơm Tấm Ba Ghiền',
      kind: 'restaurant',
      address: '12 Hòa Bình',
      defaultStayMinutes: 60,
    },
    'PATCH /api/v1/venues/:id': { entryPolicy: 'refuse' },
    'POST /api/v1/cases': { phone: '0901234567', onsetAt: '2021-08-01T08:00:00+07:00', note: 'F0' },
    'POST /api/v1/exposure-windows': {
      venueId,
      from: '2021-08-01T08:00:00+07:00',
      to: '2021-08-01T10:00:00+07:00',
      advice: 'test',
    },
    'POST /api/v1/broadcasts': {
      text: 'Thông báo',
      format: 'plain',
      audience: { all: true },
      scheduledAt: '2030-01-01T08:00:00+07:00',
    },
    'POST /api/v1/officials/invites': { role: 'health', ttlHours: 24 },
    'POST /api/v1/officials/tokens': { roles: ['health'], label: 'fuzz' },
    'PATCH /api/v1/followups/:personId': { status: 'done', note: 'ok' },
  };
}

function mutateBody(r: Rng, base: unknown): unknown {
  const values = weirdValues(r);
  const mutation = r.int(9);
  if (mutation === 0 || base === undefined || base === null || typeof base !== 'object') return r.pick(values);
  const body = structuredClone(base) as Record<string, unknown>;
  const keys = Object.keys(body);
  switch (mutation) {
    case 1: // a field's type changed
    case 2:
      if (keys.length) body[r.pick(keys)] = r.pick(values);
      return body;
    case 3: // every field bent
      for (const k of keys) body[k] = r.pick(values);
      return body;
    case 4: // an unknown property
      body[r.pick(['ownerAccountId', 'admin', 'id', 'constructor', 'extra'])] = r.pick(values);
      return body;
    case 5: // a required field missing
      if (keys.length) delete body[r.pick(keys)];
      return body;
    case 6: // nested objects bent (audience and the like)
      for (const k of keys)
        if (body[k] && typeof body[k] === 'object')
          body[k] = { ...(body[k] as object), [r.pick(['all', 'wardCodes', 'x'])]: r.pick(values) };
      return body;
    case 7:
      return [body];
    default:
      return deep(r.pick([64, 500, 3000]));
  }
}

function randomQuery(r: Rng): string {
  if (r.chance(0.3)) return '';
  const parts: string[] = [];
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) {
    const key = r.pick(QUERY_KEYS);
    const times = r.chance(0.3) ? 2 + r.int(2) : 1; // repeated parameters
    for (let j = 0; j < times; j++) parts.push(r.chance(0.1) ? key : `${key}=${r.pick(weirdParams)}`);
  }
  if (r.chance(0.05)) parts.push('&&==&');
  return `?${parts.join('&')}`;
}

describe('admin API fuzz', () => {
  let svc: TestService;
  let venueId: string;

  beforeAll(async () => {
    svc = await startTestService();
    venueId = (await createVenue(svc.db.db, { name: 'Chợ Tân An', kind: 'shop' })).id;
  });
  afterAll(() => svc?.close());

  it(`${REQUESTS} mutated requests with a valid token: no 5xx, healthy after`, async () => {
    const r = rng(SEED);
    const routes = svc.app.routeTable.filter((x) => x.url.startsWith('/api/'));
    expect(routes.length).toBeGreaterThan(15);
    const samples = sampleBodies(venueId);
    const byStatus = new Map<number, number>();
    const failures: string[] = [];
    const ids = () => r.pick([venueId, '00000000-0000-0000-0000-000000000000', ...weirdParams]);

    for (let i = 0; i < REQUESTS; i++) {
      const route = r.pick(routes);
      const path = route.url.replace(/:[A-Za-z]+/g, () => ids()).replace('*', () => r.pick(weirdParams));
      const url = path + randomQuery(r);
      const key = `${route.method} ${route.url}`;
      const headers: Record<string, string> = { ...adminHeaders };
      let payload: string | undefined;
      if (route.method !== 'GET' && route.method !== 'HEAD') {
        const style = r.int(10);
        if (route.url.endsWith('/import')) {
          headers['content-type'] = r.pick(['text/csv', 'text/plain', 'application/json']);
          const lines = ['name,kind,address,wardCode,defaultStayMinutes'];
          for (let l = 0; l < 1 + r.int(6); l++) {
            lines.push(
              [
                String(r.pick(weirdValues(r))).slice(0, 300),
                r.pick(['shop', 'x', '\u0000', '']),
                '',
                r.pick(['', 'P1', '%00']),
                r.pick(['', '30', '-5', '1e30', '99999999999999999999']),
              ].join(','),
            );
          }
          if (r.chance(0.2)) lines.push('"unterminated,quote');
          payload = lines.join(r.pick(['\n', '\r\n', '\r']));
        } else if (style === 0) {
          headers['content-type'] = 'application/json';
          payload = r.pick(['{', '{"a":', 'nul', '[1,2', '"\\u0000"', '{"a":1}garbage', '\u0000', '']);
        } else if (style === 1) {
          headers['content-type'] = r.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/xml',
            'multipart/form-data; boundary=x',
          ]);
          payload = 'a=1&a=2&b=%00';
        } else {
          headers['content-type'] = 'application/json';
          const mutated = mutateBody(r, samples[key] ?? {});
          payload = JSON.stringify(mutated) ?? 'null';
        }
      }
      const res = await svc.app.inject({ method: route.method as 'GET', url, headers, payload });
      byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500)
        failures.push(
          `${route.method} ${url.slice(0, 200)} ${payload?.slice(0, 200) ?? ''} → ${res.statusCode} ${res.body.slice(0, 300)}`,
        );
      else if (res.statusCode >= 400) {
        const body = res.json() as { error?: { code?: unknown; message?: unknown } };
        if (typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string')
          failures.push(`${key}: ${res.statusCode} without the contract error shape: ${res.body.slice(0, 200)}`);
      }
    }
    const counts = Object.fromEntries([...byStatus.entries()].sort((a, b) => a[0] - b[0]));
    console.log(
      `admin fuzz (seed ${SEED}, ${REQUESTS} requests over ${routes.length} routes): responses by status`,
      counts,
    );
    expect(failures).toEqual([]);
    expect([...byStatus.keys()].filter((s) => s >= 500)).toEqual([]);

    // Healthy after: probes, and ordinary requests still do what they should.
    expect((await svc.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await svc.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const created = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/venues',
      headers: adminHeaders,
      payload: samples['POST /api/v1/venues'] as object,
    });
    expect(created.statusCode).toBe(201);
    const list = await svc.app.inject({ url: '/api/v1/venues?limit=1000', headers: adminHeaders });
    expect(list.statusCode).toBe(200);
    expect((list.json() as { venues: { id: string }[] }).venues.map((v) => v.id)).toContain(
      (created.json() as { id: string }).id,
    );
  }, 300_000);
});

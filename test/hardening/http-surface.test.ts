import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, dialogStates, officialRoles, staffLoginLinks, venues } from '../../src/db/schema/index.js';
import { createStaffLoginLink } from '../../src/features/checkin/staff-scan.js';
import { expireUnconsentedAccounts } from '../../src/features/retention/job.js';
import { createVenue } from '../../src/features/venues/store.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';

const PUBLIC = 'https://khaibao.test';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const contractError = { error: { code: expect.any(String), message: expect.any(String) } };
const clientId = (n: number) => `client-${String(n).padStart(12, '0')}`;

describe('HTTP surface hardening', () => {
  let svc: TestService;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock(new Date('2021-08-10T08:00:00+07:00'));
    svc = await startTestService({ clock, env: { METRICS_TOKEN, WEB_CHAT: 'on' } });
  });
  afterAll(() => svc?.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    svc.app.inject({ method: 'POST', url, payload: payload as object, headers });

  it('every HTML page carries a CSP, nosniff and frame protection; the chat script carries the nonce', async () => {
    const chat = await svc.app.inject({ url: '/chat' });
    const csp = String(chat.headers['content-security-policy']);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(chat.body).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    // a second request gets another nonce
    const again = await svc.app.inject({ url: '/chat' });
    expect(String(again.headers['content-security-policy'])).not.toContain(nonce);
    // nonces are drawn from a pool of random bytes, 256 at a time: across refills each is 16 bytes and new
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const r = await svc.app.inject({ url: '/healthz' });
      const n = /'nonce-([^']+)'/.exec(String(r.headers['content-security-policy']))![1]!;
      expect(Buffer.from(n, 'base64')).toHaveLength(16);
      seen.add(n);
    }
    expect(seen.size).toBe(600);
    for (const url of [
      '/chat',
      '/c/XXXXXX',
      '/v/not-a-token',
      '/staff/login/nope',
      '/o/nope',
      '/venues/x/poster.pdf',
    ]) {
      const r = await svc.app.inject({ url });
      expect(r.statusCode, url).toBeLessThan(500);
      expect(r.headers['content-type'], url).toMatch(/text\/html/);
      expect(r.headers['content-security-policy'], url).toMatch(/default-src 'self'/);
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['x-frame-options'], url).toBe('DENY');
    }
    expect(chat.headers['strict-transport-security']).toMatch(/max-age=/); // PUBLIC_URL is https
  });

  it('/metrics needs METRICS_TOKEN or the admin token', async () => {
    expect((await svc.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect(
      (await svc.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } }))
        .statusCode,
    ).toBe(401);
    const ok = await svc.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('http_request_duration_seconds');
    expect((await svc.app.inject({ url: '/metrics', headers: adminHeaders })).statusCode).toBe(200);
  });

  it('a cross-site staff sign-in (login CSRF) is refused with 403 and leaves the link unused', async () => {
    const [owner] = await svc.db.db
      .insert(accounts)
      .values({ channel: 'web', externalId: 'owner-csrf-00001', consentedAt: clock.now() })
      .returning();
    const venue = await createVenue(svc.db.db, { name: 'Nhà sách Cần Thơ', kind: 'shop', ownerAccountId: owner!.id });
    const link = await createStaffLoginLink(svc.db.db, svc.deps, venue.id, owner!.id, clock.now());
    const path = new URL(link).pathname;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' }, // a sandboxed frame on another site
      { origin: 'http://khaibao.test' }, // another scheme is another origin
      { referer: 'https://evil.example/page' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const r = await svc.app.inject({ method: 'POST', url: path, headers: { ...form, ...headers }, payload: '' });
      expect(r.statusCode, JSON.stringify(headers)).toBe(403);
      expect(r.json()).toEqual({ error: { code: 'CROSS_SITE_REQUEST', message: expect.any(String) } });
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    const row = await svc.db.db.query.staffLoginLinks.findFirst({ where: eq(staffLoginLinks.venueId, venue.id) });
    expect(row?.usedAt).toBeNull();

    const same = await svc.app.inject({
      method: 'POST',
      url: path,
      headers: { ...form, origin: PUBLIC, 'sec-fetch-site': 'same-origin' },
      payload: '',
    });
    expect(same.statusCode).toBe(200);
    expect(String(same.headers['set-cookie'])).toMatch(/^kb_staff=/);
  });

  it('the web chat API refuses a cross-site POST before creating anything; same-origin and non-browser clients work', async () => {
    const evil = await post(
      '/chat/api/messages',
      { clientId: clientId(1), start: '' },
      { origin: 'https://evil.example' },
    );
    expect(evil.statusCode).toBe(403);
    expect(evil.json()).toEqual(contractError);
    expect(await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, clientId(1)) })).toBeUndefined();

    expect(
      (await post('/chat/api/messages', { clientId: clientId(1), start: '' }, { origin: PUBLIC })).statusCode,
    ).toBe(200);
    expect(
      (await post('/chat/api/messages', { clientId: clientId(2), start: '' }, { referer: `${PUBLIC}/chat` }))
        .statusCode,
    ).toBe(200);
    expect((await post('/chat/api/messages', { clientId: clientId(3), start: '' })).statusCode).toBe(200);
    // The bearer-token API is not a browser route: no Origin needed, a foreign one does not matter.
    const api = await svc.app.inject({
      url: '/api/v1/venues',
      headers: { ...adminHeaders, origin: 'https://evil.example' },
    });
    expect(api.statusCode).toBe(200);
  });

  it('unknown properties are refused, never stripped: no owner grant through POST /api/v1/venues', async () => {
    const [acct] = await svc.db.db
      .insert(accounts)
      .values({ channel: 'web', externalId: 'would-be-owner-01' })
      .returning();
    const before = await svc.db.db.$count(venues);
    for (const ownerAccountId of [acct!.id, '00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      const r = await post('/api/v1/venues', { name: 'Chợ nổi Cái Răng', kind: 'shop', ownerAccountId }, adminHeaders);
      expect(r.statusCode).toBe(400);
      expect(r.json()).toEqual(contractError);
    }
    expect(await svc.db.db.$count(venues)).toBe(before);
    const nested = await post('/api/v1/broadcasts', { text: 'x', audience: { all: true, extra: 1 } }, adminHeaders);
    expect(nested.statusCode).toBe(400);
    const chat = await post('/chat/api/messages', { clientId: clientId(4), start: '', admin: true });
    expect(chat.statusCode).toBe(400);
  });

  it('every /api/v1 body schema in the OpenAPI document closes its objects (additionalProperties: false)', async () => {
    const doc = (await svc.app.inject({ url: '/api/v1/openapi.json', headers: adminHeaders })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    };
    const open: string[] = [];
    const walk = (s: unknown, where: string) => {
      if (!s || typeof s !== 'object') return;
      const o = s as Record<string, unknown>;
      if (o.type === 'object' && o.properties && o.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries(o)) if (typeof v === 'object') walk(v, `${where}.${k}`);
    };
    let bodies = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const c of Object.values(op.requestBody?.content ?? {})) {
          bodies++;
          walk(c.schema, `${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(bodies).toBeGreaterThan(5);
    expect(open).toEqual([]);
  });

  it('NUL bytes, huge numbers and year 0000 get 400 in the contract shape, never 500', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Bến xe Cần Thơ', kind: 'station' });
    const cases: { method: 'GET' | 'POST'; url: string; payload?: unknown }[] = [
      { method: 'POST', url: '/api/v1/venues', payload: { name: 'Quán\u0000ăn', kind: 'restaurant' } },
      { method: 'POST', url: '/api/v1/venues', payload: { name: 'Quán ăn', kind: 'restaurant', wardCode: '\u0000' } },
      {
        method: 'POST',
        url: '/api/v1/venues',
        payload: { name: 'Quán ăn', kind: 'restaurant', defaultStayMinutes: 1e300 },
      },
      { method: 'POST', url: '/api/v1/cases', payload: { phone: '0901\u0000234567' } },
      { method: 'POST', url: '/api/v1/cases', payload: { phone: '0901234567', onsetAt: '0000-01-01T00:00:00Z' } },
      { method: 'POST', url: '/api/v1/broadcasts', payload: { text: 'Thông báo\u0000', audience: { all: true } } },
      {
        method: 'POST',
        url: '/api/v1/broadcasts',
        payload: { text: 'x', audience: { all: true }, scheduledAt: '9999-12-31T23:59:59-14:00' },
      },
      {
        method: 'POST',
        url: '/api/v1/exposure-windows',
        payload: { venueId: venue.id, from: '0000-01-01T00:00:00Z', to: '0000-01-02T00:00:00Z', advice: 'test' },
      },
      { method: 'GET', url: '/api/v1/venues?limit=999999999999' },
      { method: 'GET', url: '/api/v1/venues?offset=1e30' },
      { method: 'GET', url: '/api/v1/venues?wardCode=%00' },
      { method: 'GET', url: '/api/v1/stats?from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z' },
      { method: 'GET', url: `/api/v1/venues/${venue.id}/visits?from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z` },
      { method: 'GET', url: '/api/v1/venues/%00' },
      { method: 'POST', url: '/chat/api/messages', payload: { clientId: clientId(5), text: 'xin\u0000chào' } },
      { method: 'POST', url: '/api/v1/officials/tokens', payload: { roles: ['health'], label: 'a\u0000b' } },
    ];
    for (const c of cases) {
      const r = await svc.app.inject({
        method: c.method,
        url: c.url,
        payload: c.payload as object,
        headers: adminHeaders,
      });
      expect(r.statusCode, `${c.method} ${c.url} ${JSON.stringify(c.payload)} → ${r.body}`).toBe(400);
      expect(r.json()).toEqual(contractError);
    }
    const deep = `${'{"a":'.repeat(5000)}"x"${'}'.repeat(5000)}`;
    const r = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/venues',
      payload: deep,
      headers: { ...adminHeaders, 'content-type': 'application/json' },
    });
    expect(r.statusCode).toBe(400);
  });

  it('CSV import keeps the good lines and reports the bad ones (NUL, out of range), never a 500', async () => {
    const csv = [
      'name,kind,address,wardCode,defaultStayMinutes',
      'Quán Bún Mắm Cô Ba,restaurant,,,',
      'Tiệm\u0000vàng,shop,,,',
      'Siêu thị Co.op,shop,,,99999999999999999999999',
      'Tiệm thuốc Tây,clinic,,,30',
    ].join('\n');
    const r = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/venues/import',
      headers: { ...adminHeaders, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(r.statusCode).toBe(201);
    const body = r.json() as { created: number; errors: { line: number; message: string }[] };
    expect(body.created).toBe(2);
    expect(body.errors.map((e) => e.line)).toEqual([3, 4]);
  });

  it('repeated or odd query parameters never crash a GET route', async () => {
    expect((await svc.app.inject({ url: '/v/x?lang=en&lang=vi' })).statusCode).toBe(400);
    expect((await svc.app.inject({ url: '/v/x?lang=en&lang=vi' })).json()).toEqual(contractError);
    const venue = await createVenue(svc.db.db, { name: 'Chùa Ông', kind: 'tourism' });
    const gets = svc.app.routeTable.filter((r) => r.method === 'GET');
    expect(gets.length).toBeGreaterThan(15);
    const odd = [
      'lang=en&lang=vi',
      'limit=1&limit=2&offset=0&offset=1',
      'from=a&from=b&to=c&to=d',
      'clientId=a&clientId=b',
      't=1&t=2',
      'lang',
      'lang=%ZZ',
      '__proto__=x&constructor=y',
      'q=%00',
      'wardCode[]=1',
      '&&&==&',
    ];
    const results: string[] = [];
    for (const route of gets) {
      const path = route.url.replace(':id', venue.id).replace(':code', venue.code).replace('*', 'abc');
      for (const q of odd) {
        for (const headers of [{}, adminHeaders]) {
          const r = await svc.app.inject({ url: `${path}?${q}`, headers });
          if (r.statusCode >= 500) results.push(`${path}?${q} → ${r.statusCode} ${r.body.slice(0, 200)}`);
        }
      }
    }
    expect(results).toEqual([]);
  });
});

describe('rate limits on the anonymous endpoints', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      env: {
        WEB_CHAT: 'on',
        RATE_LIMIT_CHAT_PER_MINUTE: '6',
        RATE_LIMIT_CHAT_CLIENT_PER_MINUTE: '3',
        RATE_LIMIT_PAGES_PER_MINUTE: '4',
        RATE_LIMIT_LOGIN_PER_MINUTE: '2',
      },
    });
  });
  afterAll(() => svc?.close());

  const chat = (id: string, ip: string) =>
    svc.app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      payload: { clientId: id, start: '' },
      remoteAddress: ip,
    });

  it('the web chat counts per client id and per client address; 429 in the contract shape with Retry-After', async () => {
    const a = clientId(100);
    for (let i = 0; i < 3; i++) expect((await chat(a, '10.0.0.1')).statusCode).toBe(200);
    const limited = await chat(a, '10.0.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // the same id from another address is still over its own limit
    expect((await chat(a, '10.0.0.2')).statusCode).toBe(429);

    // new ids from one address: the address limit (6) stops the account-per-request flood
    const ip = '10.0.0.3';
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) codes.push((await chat(clientId(200 + i), ip)).statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(6);
    expect(codes.slice(6)).toEqual([429, 429, 429, 429]);
    const made = await svc.db.db.$count(accounts);
    expect(made).toBeLessThanOrEqual(7); // id a + six from 10.0.0.3
    // another address is not affected
    expect((await chat(clientId(300), '10.0.0.4')).statusCode).toBe(200);
  });

  it('pages (/v/, /c/) and login links (/staff/login/, /o/) are limited per address', async () => {
    const status = async (url: string, ip: string, method: 'GET' | 'POST' = 'GET') =>
      (
        await svc.app.inject({
          method,
          url,
          remoteAddress: ip,
          ...(method === 'POST'
            ? { payload: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } }
            : {}),
        })
      ).statusCode;
    const v = [];
    for (let i = 0; i < 5; i++) v.push(await status(i % 2 ? '/v/abc' : '/c/ABC234', '10.1.0.1'));
    expect(v.slice(0, 4).every((c) => c !== 429)).toBe(true);
    expect(v[4]).toBe(429);
    const login = [
      await status('/staff/login/guess1', '10.1.0.2'),
      await status('/staff/login/guess2', '10.1.0.2', 'POST'),
      await status('/o/guess3', '10.1.0.2'),
    ];
    expect(login).toEqual([410, 410, 429]);
    // the admin API is not limited by these buckets
    for (let i = 0; i < 8; i++) {
      expect(
        (await svc.app.inject({ url: '/api/v1/venues', headers: adminHeaders, remoteAddress: '10.1.0.2' })).statusCode,
      ).toBe(200);
    }
  });
});

describe('accounts that never consented expire after a day', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ env: { WEB_CHAT: 'on' } });
  });
  afterAll(() => svc?.close());

  it('the retention job removes a day-old unconsented account and its dialog state; consented, official and active ones stay', async () => {
    const clock = svc.clock as ManualClock;
    const chat = (id: string, body: object) =>
      svc.app.inject({ method: 'POST', url: '/chat/api/messages', payload: { clientId: id, ...body } });
    await chat(clientId(1), { start: '' }); // opened the chat, never answered
    const [official] = await svc.db.db
      .insert(accounts)
      .values({ channel: 'web', externalId: clientId(2), lastInboundAt: clock.now() })
      .returning();
    await svc.db.db.insert(officialRoles).values({ accountId: official!.id, role: 'health', grantedBy: 'bootstrap' });
    const [consented] = await svc.db.db
      .insert(accounts)
      .values({ channel: 'web', externalId: clientId(3), consentedAt: clock.now(), lastInboundAt: clock.now() })
      .returning();
    const first = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, clientId(1)) });
    expect(first?.consentedAt).toBeNull();
    expect(await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, first!.id) })).toBeTruthy();

    clock.advance(23 * 3_600_000);
    await chat(clientId(4), { start: '' }); // a newcomer an hour before the check
    expect(await expireUnconsentedAccounts(svc.db.db, clock.now())).toBe(0);
    clock.advance(2 * 3_600_000);
    expect(await expireUnconsentedAccounts(svc.db.db, clock.now())).toBe(1);
    const left = (await svc.db.db.select({ externalId: accounts.externalId }).from(accounts))
      .map((a) => a.externalId)
      .sort();
    expect(left).toEqual([clientId(2), clientId(3), clientId(4)]);
    expect(
      await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, first!.id) }),
    ).toBeUndefined();
    expect(consented).toBeTruthy();
    // Coming back later simply starts again.
    expect((await chat(clientId(1), { start: '' })).statusCode).toBe(200);
  });
});

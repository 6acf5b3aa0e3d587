import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/features/officials/api-tokens.js';
import type { OfficialRole } from '../../src/features/officials/roles.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';

/**
 * Which official roles may call each admin route, by path prefix (admin may always). The table is checked
 * against the app's own route list: a new /api/v1 route is tested for 401/403 without being listed here, and
 * its role row is checked once its prefix is listed.
 */
const EXPECTED: { prefix: string; method?: string; allowed: OfficialRole[] }[] = [
  { prefix: '/api/v1/officials', allowed: [] },
  { prefix: '/api/v1/broadcasts', allowed: ['comms'] },
  { prefix: '/api/v1/stats', allowed: ['health', 'comms'] },
  { prefix: '/api/v1/cases', allowed: ['health'] },
  { prefix: '/api/v1/exposure-windows', allowed: ['health'] },
  { prefix: '/api/v1/contacts', allowed: ['health'] },
  { prefix: '/api/v1/venues', allowed: ['health'] },
  // Setting a ward health station's number: health only; reading wards: health and comms.
  { prefix: '/api/v1/wards', method: 'PATCH', allowed: ['health'] },
  { prefix: '/api/v1/wards', allowed: ['health', 'comms'] },
  // Importing target lists (first match wins): health (and ward_health in its wards), not comms.
  { prefix: '/api/v1/reports/targets', allowed: ['health'] },
  { prefix: '/api/v1/reports', allowed: ['health', 'comms'] },
];
/** Any valid token may read these. */
const ANY_TOKEN = new Set(['GET /api/v1/openapi.json']);
const ROLES: OfficialRole[] = ['health', 'comms'];
const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';

let svc: TestService;
const tokens = {} as Record<OfficialRole | 'none', string>;
beforeAll(async () => {
  svc = await startTestService();
  const now = svc.clock.now();
  for (const role of ROLES)
    tokens[role] = (await createApiToken(svc.db.db, { roles: [role], actor: 'test', now })).token;
  // A token whose only roles are not official ones (as a venue staff token would be).
  tokens.none = (await createApiToken(svc.db.db, { roles: [], actor: 'test', now })).token;
});
afterAll(() => svc.close());

const adminRoutes = () =>
  svc.app.routeTable
    .filter((r) => r.url.startsWith('/api/v1/'))
    .map((r) => ({ ...r, path: r.url.replace(/:[A-Za-z]+/g, (p) => (p === ':role' ? 'comms' : SAMPLE_ID)) }));
const call = (r: { method: string; path: string }, headers: Record<string, string>) =>
  svc.app.inject({
    method: r.method as 'GET',
    url: r.path,
    headers,
    ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { payload: {} }),
  });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('every admin route checks the role', () => {
  it('knows the routes of this feature set', () => {
    const keys = adminRoutes().map((r) => `${r.method} ${r.url}`);
    for (const k of [
      'POST /api/v1/officials/invites',
      'DELETE /api/v1/officials/invites/:id',
      'POST /api/v1/officials/tokens',
      'DELETE /api/v1/officials/tokens/:id',
      'GET /api/v1/officials',
      'POST /api/v1/broadcasts',
      'GET /api/v1/broadcasts/:id',
      'GET /api/v1/stats',
      'GET /api/v1/openapi.json',
    ]) {
      expect(keys).toContain(k);
    }
  });

  it('401 without a token, with a malformed header and with an unknown token (before validating the body)', async () => {
    for (const r of adminRoutes()) {
      for (const headers of [
        {},
        { authorization: 'Basic abc' },
        bearer('kb_not-a-real-token'),
        bearer('x'.repeat(40)),
      ]) {
        const res = await call(r, headers);
        expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json().error.code).toBe('UNAUTHORIZED');
      }
    }
  });

  it('403 for a token without an official role', async () => {
    for (const r of adminRoutes()) {
      if (ANY_TOKEN.has(`${r.method} ${r.url}`)) continue;
      const res = await call(r, bearer(tokens.none));
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
  });

  it('each role gets 403 exactly where the table says it may not go; admin is never refused', async () => {
    for (const r of adminRoutes()) {
      const key = `${r.method} ${r.url}`;
      const rule = EXPECTED.find(
        (e) => (!e.method || e.method === r.method) && (r.url === e.prefix || r.url.startsWith(`${e.prefix}/`)),
      );
      const admin = await call(r, adminHeaders);
      expect([401, 403], key).not.toContain(admin.statusCode);
      if (!rule) continue;
      for (const role of ROLES) {
        const res = await call(r, bearer(tokens[role]));
        if (rule.allowed.includes(role) || ANY_TOKEN.has(key))
          expect([401, 403], `${key} as ${role}`).not.toContain(res.statusCode);
        else expect(res.statusCode, `${key} as ${role}`).toBe(403);
      }
    }
  });
});

describe('OpenAPI', () => {
  it('describes every admin route, with a JSON schema for the bodies it takes', async () => {
    const res = await svc.app.inject({ url: '/api/v1/openapi.json', headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; responses?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    const missing: string[] = [];
    for (const r of adminRoutes()) {
      if (r.url === '/api/v1/openapi.json') continue;
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      if (!doc.paths[path]?.[r.method.toLowerCase()]) missing.push(`${r.method} ${r.url}`);
    }
    expect(missing).toEqual([]);
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
    expect(doc.paths['/api/v1/broadcasts']!.post!.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/officials/invites']!.post!.requestBody).toBeDefined();
  });
});

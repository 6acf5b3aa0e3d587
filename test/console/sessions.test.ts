import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { auditLog, consoleLoginLinks, consoleSessions } from '../../src/db/schema/index.js';
import { handle } from '../broadcast/fixtures.js';
import { inviteOfficial, type InvitedOfficial } from '../helpers/officials.js';
import { startTestService, type TestService } from '../helpers/service.js';

const BASE = 'https://khaibao.example.vn';
let svc: TestService;
let clock: ManualClock;
let health: InvitedOfficial;

const link = async (externalId: string) => {
  const r = await handle(svc, { channel: 'web', accountId: externalId, kind: 'text', text: '/console' });
  return r.replies[0]!.link!.url;
};
/** Opens a sign-in link as a browser does: the page (which uses nothing up), then its button (a form POST). */
const open = async (url: string) => {
  const page = await svc.app.inject({ method: 'GET', url: url.replace(BASE, '') });
  if (page.statusCode !== 200) return page;
  const code = /name="link" value="([^"]+)"/.exec(page.body)![1]!;
  return svc.app.inject({
    method: 'POST',
    url: '/console/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `link=${encodeURIComponent(code)}`,
  });
};
const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;

beforeAll(async () => {
  clock = new ManualClock('2021-08-05T09:00:00+07:00');
  svc = await startTestService({ clock, env: { PUBLIC_URL: BASE } });
  health = await inviteOfficial(svc, 'sess-health', { role: 'health' });
});
afterAll(() => svc?.close());

describe('console sign-in', () => {
  it('a link works once, sets a Secure HttpOnly SameSite=Lax cookie, and only its hash is stored', async () => {
    const url = await link(health.externalId);
    const code = new URL(url).searchParams.get('t')!;
    const rows = await svc.db.db.select().from(consoleLoginLinks);
    expect(rows.some((r) => r.codeHash.includes(code))).toBe(false);
    // A link preview or a link scanner fetching the link (GET, however often) does not use it up or sign in.
    for (let i = 0; i < 3; i++) {
      const preview = await svc.app.inject({ method: 'GET', url: url.replace(BASE, '') });
      expect(preview.statusCode).toBe(200);
      expect(preview.headers['set-cookie']).toBeUndefined();
      expect(preview.body).toContain('<form method="post" action="/console/login"');
    }
    expect((await svc.db.db.select().from(consoleSessions)).length).toBe(0);
    const first = await open(url);
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/console');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^kb_console=[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure$/);
    const sessions = await svc.db.db.select().from(consoleSessions);
    expect(sessions.some((s) => setCookie.includes(s.idHash))).toBe(false);
    expect((await open(url)).statusCode).toBe(410);
  });

  it('a link expires after 10 minutes', async () => {
    const url = await link(health.externalId);
    clock.advance(10 * 60_000 + 1000);
    expect((await open(url)).statusCode).toBe(410);
  });

  it('a resident gets no link', async () => {
    const r = await handle(svc, { channel: 'web', accountId: 'sess-resident', kind: 'text', text: '/console' });
    expect(r.replies[0]?.link).toBeUndefined();
    expect(await svc.db.db.select().from(consoleLoginLinks)).toHaveLength(2);
  });

  it('a pasted API token signs in; a wrong one does not; reads of personal data are audited under the official', async () => {
    const token = health.headers.authorization!.replace('Bearer ', '');
    const bad = await svc.app.inject({
      method: 'POST',
      url: '/console/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=kb_wrong',
    });
    expect(bad.statusCode).toBe(401);
    const ok = await svc.app.inject({
      method: 'POST',
      url: '/console/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(token)}`,
    });
    expect(ok.statusCode).toBe(303);
    const cookie = cookieOf(ok);
    const list = await svc.app.inject({ method: 'GET', url: '/api/v1/followups', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    const audits = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'followup.list'));
    expect(audits.at(-1)?.actor).toMatch(/^token:/);
    // A cross-site form cannot sign anyone in (login CSRF): the Origin check refuses it.
    const cross = await svc.app.inject({
      method: 'POST',
      url: '/console/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      payload: `token=${encodeURIComponent(token)}`,
    });
    expect(cross.statusCode).toBe(403);
  });

  it('ends another session from the sessions page (with the CSRF token only)', async () => {
    const a = cookieOf(await open(await link(health.externalId)));
    const b = cookieOf(await open(await link(health.externalId)));
    const page = await svc.app.inject({ method: 'GET', url: '/console/sessions', headers: { cookie: a } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)![1]!;
    const ids = [...page.body.matchAll(/\/console\/sessions\/([0-9a-f-]{36})\/revoke/g)].map((m) => m[1]!);
    const bHash = createHash('sha256').update(b.split('=')[1]!).digest('hex');
    const bId = (await svc.db.db.select().from(consoleSessions).where(eq(consoleSessions.idHash, bHash)))[0]!.id;
    expect(ids).toContain(bId);
    const refused = await svc.app.inject({
      method: 'POST',
      url: `/console/sessions/${bId}/revoke`,
      headers: { cookie: a, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(refused.statusCode).toBe(403);
    const done = await svc.app.inject({
      method: 'POST',
      url: `/console/sessions/${bId}/revoke`,
      headers: { cookie: a, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(csrf)}`,
    });
    expect(done.statusCode).toBe(303);
    expect((await svc.app.inject({ method: 'GET', url: '/api/v1/stats', headers: { cookie: b } })).statusCode).toBe(
      401,
    );
    expect((await svc.app.inject({ method: 'GET', url: '/api/v1/stats', headers: { cookie: a } })).statusCode).toBe(
      200,
    );
  });
});

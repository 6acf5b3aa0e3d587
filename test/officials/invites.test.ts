import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { Links } from '../../src/core/links.js';
import { accounts, auditLog, officialRoles } from '../../src/db/schema/index.js';
import { inviteLinks, parseInviteCode } from '../../src/features/officials/invites.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { handle, say } from '../broadcast/fixtures.js';

/** Links as they are once Telegram named the bot. */
function knownBot(username: string): Links {
  const links = new Links(svc.config);
  links.useTelegramBot(() => username);
  return links;
}

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

async function invite(role: string, headers: Record<string, string> = adminHeaders) {
  const res = await svc.app.inject({ method: 'POST', url: '/api/v1/officials/invites', headers, payload: { role } });
  return {
    status: res.statusCode,
    body: res.json() as { id: string; url: string; code: string; expiresAt: string; role: string },
  };
}
const codeOf = (typed: string) => typed.replace(/^O-/, '');
const rolesOfExternal = async (externalId: string) => {
  const acc = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, externalId) });
  if (!acc) return [];
  const rows = await svc.db.db.select().from(officialRoles).where(eq(officialRoles.accountId, acc.id));
  return rows.map((r) => r.role).sort();
};
const openLink = (accountId: string, param: string) => handle(svc, { channel: 'web', accountId, kind: 'start', param });

describe('invites', () => {
  it('an invite is accepted once, by the link, and grants the role with an audit trail', async () => {
    const { status, body } = await invite('comms');
    expect(status).toBe(201);
    expect(body.code).toMatch(/^O-[2-9A-Z]{10}$/);
    // Telegram is off in this service: the URL is the landing page that shows the code to type.
    expect(body.url).toBe(`https://khaibao.test/o/${codeOf(body.code)}`);
    expect(new Date(body.expiresAt).getTime() - svc.clock.now().getTime()).toBe(72 * 3_600_000);
    const page = await svc.app.inject({ url: `/o/${codeOf(body.code)}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(body.code);

    // A resident does not see official commands.
    expect((await say(svc, 'off1', '/thongbao'))[0]).toMatch(/chưa hiểu lệnh/);
    const r = await openLink('off1', `o_${codeOf(body.code)}`);
    expect(r.replies[0]!.text).toMatch(/đã được cấp quyền cán bộ truyền thông/);
    expect(await rolesOfExternal('off1')).toEqual(['comms']);
    expect((await say(svc, 'off1', '/thongbao'))[0]).toMatch(/nội dung thông báo/);
    await say(svc, 'off1', 'hủy');

    // Used: a second person gets a refusal and no role.
    const again = await openLink('off2', `o_${codeOf(body.code)}`);
    expect(again.replies[0]!.text).toMatch(/đã được dùng rồi/);
    expect(await rolesOfExternal('off2')).toEqual([]);

    const audit = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'role.grant'));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('bootstrap');
    expect(audit[0]!.details).toMatchObject({ role: 'comms', via: `invite:${body.id}` });
  });

  it('a code typed in chat (Zalo has no deep links) works the same way', async () => {
    const { body } = await invite('health');
    const replies = await say(svc, 'zal1', body.code.toLowerCase().replace('-', ' '), 'zalo');
    expect(replies[0]).toMatch(/cán bộ y tế/);
    const acc = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'zal1') });
    expect(acc!.channel).toBe('zalo');
  });

  it('with Telegram on, the URL is the bot deep link', () => {
    const links = inviteLinks({ links: knownBot('khaibao_ct_bot') }, 'K7M2QX9P4R');
    expect(links).toEqual({
      url: 'https://t.me/khaibao_ct_bot?start=o_K7M2QX9P4R',
      telegramUrl: 'https://t.me/khaibao_ct_bot?start=o_K7M2QX9P4R',
      typedCode: 'O-K7M2QX9P4R',
    });
    expect(parseInviteCode('o k7m2 qx9p 4r')).toBe('K7M2QX9P4R');
    expect(parseInviteCode('K7M2QX9P4R')).toBeUndefined();
    expect(parseInviteCode('K7M2QX9P4R', false)).toBe('K7M2QX9P4R');
  });

  it('refuses an expired invite', async () => {
    const { body } = await invite('health');
    (svc.clock as ManualClock).advance(72 * 3_600_000 + 1000);
    const r = await openLink('late', `o_${codeOf(body.code)}`);
    expect(r.replies[0]!.text).toMatch(/hết hạn/);
    expect(await rolesOfExternal('late')).toEqual([]);
  });

  it('refuses a revoked invite; a used invite cannot be revoked', async () => {
    const { body } = await invite('admin');
    const del = await svc.app.inject({
      method: 'DELETE',
      url: `/api/v1/officials/invites/${body.id}`,
      headers: adminHeaders,
    });
    expect(del.statusCode).toBe(200);
    const r = await openLink('rev', `o_${codeOf(body.code)}`);
    expect(r.replies[0]!.text).toMatch(/thu hồi/);
    expect(await rolesOfExternal('rev')).toEqual([]);

    const used = await invite('health');
    await openLink('user2', `o_${codeOf(used.body.code)}`);
    const del2 = await svc.app.inject({
      method: 'DELETE',
      url: `/api/v1/officials/invites/${used.body.id}`,
      headers: adminHeaders,
    });
    expect(del2.statusCode).toBe(409);
    expect(del2.json().error.code).toBe('INVITE_USED');
    const missing = await svc.app.inject({
      method: 'DELETE',
      url: '/api/v1/officials/invites/00000000-0000-4000-8000-000000000000',
      headers: adminHeaders,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses an unknown code and a malformed one; a role outside the list is a 400', async () => {
    expect((await openLink('x1', 'o_ABCDEFGHJK')).replies[0]!.text).toMatch(/không đúng/);
    expect((await openLink('x1', 'o_short')).replies[0]!.text).toMatch(/không đúng/);
    expect((await invite('venue_staff')).status).toBe(400);
    expect((await invite('root')).status).toBe(400);
  });

  it('two people opening one link at the same moment: exactly one gets the role', async () => {
    const { body } = await invite('comms');
    const results = await Promise.all(['race1', 'race2', 'race3'].map((a) => openLink(a, `o_${codeOf(body.code)}`)));
    const granted = results.filter((r) => /cấp quyền/.test(r.replies[0]!.text ?? ''));
    expect(granted).toHaveLength(1);
  });

  it('an admin invites from chat; others cannot', async () => {
    const { body } = await invite('admin');
    await openLink('chatadmin', `o_${codeOf(body.code)}`);
    const replies = await say(svc, 'chatadmin', '/moi');
    expect(replies[0]).toMatch(/quyền nào/);
    const created = await say(svc, 'chatadmin', '/invite comms');
    expect(created[0]).toMatch(/https:\/\/khaibao\.test\/o\/[2-9A-Z]{10}/);
    expect(created[0]).toMatch(/O-[2-9A-Z]{10}/);
    expect((await say(svc, 'off1', '/moi comms'))[0]).toMatch(/chưa hiểu lệnh/);
  });
});

describe('personal API tokens', () => {
  it('are shown once, stored hashed, carry the roles, and stop working when revoked', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/officials/tokens',
      headers: adminHeaders,
      payload: { roles: ['health'], label: 'dashboard' },
    });
    expect(res.statusCode).toBe(201);
    const { id, token } = res.json() as { id: string; token: string };
    expect(token).toMatch(/^kb_/);
    const stored = await svc.db.db.query.apiTokens.findFirst({ where: (t, { eq: e }) => e(t.id, id) });
    expect(stored!.tokenHash).not.toContain(token);
    const auth = { authorization: `Bearer ${token}` };
    expect((await svc.app.inject({ url: '/api/v1/stats', headers: auth })).statusCode).toBe(200);
    expect((await svc.app.inject({ url: '/api/v1/officials', headers: auth })).statusCode).toBe(403);
    const list = await svc.app.inject({ url: '/api/v1/officials', headers: adminHeaders });
    expect(list.body).not.toContain(token);
    expect(list.json().tokens.some((t: { id: string }) => t.id === id)).toBe(true);
    expect(
      (await svc.app.inject({ method: 'DELETE', url: `/api/v1/officials/tokens/${id}`, headers: adminHeaders }))
        .statusCode,
    ).toBe(200);
    expect((await svc.app.inject({ url: '/api/v1/stats', headers: auth })).statusCode).toBe(401);
    expect(
      (await svc.app.inject({ method: 'DELETE', url: `/api/v1/officials/tokens/${id}`, headers: adminHeaders }))
        .statusCode,
    ).toBe(404);
  });

  it('a token from chat follows its account: taking the role away takes it from the token', async () => {
    const replies = await say(svc, 'off1', '/matoken');
    const token = /kb_[A-Za-z0-9_-]+/.exec(replies[0]!)![0];
    const auth = { authorization: `Bearer ${token}` };
    expect((await svc.app.inject({ url: '/api/v1/broadcasts', headers: auth })).statusCode).toBe(200);
    const acc = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'off1') });
    const del = await svc.app.inject({
      method: 'DELETE',
      url: `/api/v1/officials/${acc!.id}/roles/comms`,
      headers: adminHeaders,
    });
    expect(del.statusCode).toBe(200);
    expect((await svc.app.inject({ url: '/api/v1/broadcasts', headers: auth })).statusCode).toBe(403);
    expect((await say(svc, 'off1', '/thongbao'))[0]).toMatch(/chưa hiểu lệnh/);
    const revokes = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'role.revoke'));
    expect(revokes.map((r) => r.subjectId)).toContain(acc!.id);
    // A resident has no token to get.
    expect((await say(svc, 'resident9', '/matoken'))[0]).toMatch(/chưa hiểu lệnh/);
  });

  it('GET /api/v1/officials lists officials with roles and invites with their state', async () => {
    const res = await svc.app.inject({ url: '/api/v1/officials', headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { officials: { roles: string[] }[]; invites: { status: string }[] };
    expect(body.officials.length).toBeGreaterThanOrEqual(3);
    expect(new Set(body.invites.map((i) => i.status))).toEqual(new Set(['used', 'expired', 'revoked', 'open']));
  });
});

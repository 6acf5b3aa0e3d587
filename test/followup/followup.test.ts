import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import {
  accounts,
  auditLog,
  contacts,
  declarations,
  officialRoles,
  outbox,
  persons,
  wards,
} from '../../src/db/schema/index.js';
import { healthOfficialsFor } from '../../src/features/checkin/entry.js';
import { currentStatus } from '../../src/features/pass/status.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';
import { inviteOfficial, type InvitedOfficial } from '../helpers/officials.js';
import { handle, say } from '../broadcast/fixtures.js';

let svc: TestService;
let clock: ManualClock;
const CAI_KHE = '31117';
const XUAN_KHANH = '31144';
const THANH_AN = '31231';

type Official = InvitedOfficial;
const official = (externalId: string, body: Record<string, unknown>) => inviteOfficial(svc, externalId, body);

async function resident(
  name: string,
  wardCode: string,
  answers: { symptoms?: string[]; contactCase?: boolean } = {},
  declaredAt = clock.now(),
) {
  const [acc] = await svc.db.db
    .insert(accounts)
    .values({ channel: 'web', externalId: `r-${name}`, locale: 'vi', consentedAt: declaredAt })
    .returning();
  const [p] = await svc.db.db
    .insert(persons)
    .values({
      ownerAccountId: acc!.id,
      isSelf: true,
      fullName: name,
      birthYear: 1985,
      gender: 'female',
      phone: '+84912345678',
      wardCode,
      street: '12 Hai Bà Trưng',
    })
    .returning();
  await svc.db.db.update(accounts).set({ personId: p!.id }).where(eq(accounts.id, acc!.id));
  await declare(p!.id, answers, declaredAt);
  return p!;
}

async function declare(
  personId: string,
  answers: { symptoms?: string[]; contactCase?: boolean },
  declaredAt = clock.now(),
) {
  await svc.db.db.insert(declarations).values({
    personId,
    travel: false,
    symptoms: answers.symptoms ?? [],
    contactCase: answers.contactCase ?? false,
    contactOutbreakArea: false,
    contactSymptoms: false,
    declaredAt,
  });
}

type Entry = {
  personId: string;
  name: string;
  wardCode: string;
  reasons: string[];
  status: string;
  note: string | null;
  address: string | null;
};
async function list(o: { headers: Record<string, string> }, query = ''): Promise<{ status: number; body: Entry[] }> {
  const res = await svc.app.inject({ url: `/api/v1/followups${query}`, headers: o.headers });
  return { status: res.statusCode, body: res.statusCode === 200 ? (res.json() as Entry[]) : [] };
}
const patch = (o: { headers: Record<string, string> }, personId: string, payload: Record<string, unknown>) =>
  svc.app.inject({ method: 'PATCH', url: `/api/v1/followups/${personId}`, headers: o.headers, payload });

const batchRows = (accountId: string) =>
  svc.db.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.accountId, accountId), eq(outbox.kind, 'followup-batch')))
    .orderBy(outbox.id);

let caiKhe: Official; // ward_health for Cái Khế by ward code
let vinhThanh: Official; // ward_health for Thạnh An's district by district code
let xuanKhanh: Official;
let city: Official; // city-wide health
let sick: { id: string };
let risky: { id: string };
let exposed: { id: string };
let far: { id: string };

beforeAll(async () => {
  svc = await startTestService({ workers: true });
  clock = svc.clock as ManualClock;
  const [thanhAn] = await svc.db.db.select().from(wards).where(eq(wards.code, THANH_AN));
  caiKhe = await official('wardA', { role: 'ward_health', wardCodes: [CAI_KHE] });
  vinhThanh = await official('wardV', { role: 'ward_health', districtCode: thanhAn!.districtCode });
  xuanKhanh = await official('wardX', { role: 'ward_health', wardCodes: [XUAN_KHANH] });
  city = await official('cityH', { role: 'health' });
  sick = await resident('Trần Thị Sốt', CAI_KHE, { symptoms: ['fever'] });
  risky = await resident('Lê Văn Rủi', XUAN_KHANH, { contactCase: true });
  exposed = await resident('Phạm Văn Gặp', CAI_KHE);
  await svc.db.db.insert(contacts).values({
    exposureKey: 'manual-1',
    personId: exposed.id,
    kind: 'close',
    overlapMinutes: 30,
    exposedAt: clock.now(),
    alertedAt: clock.now(),
  });
  far = await resident('Võ Thị Xa', THANH_AN, { symptoms: ['cough'] });
  await resident('Đỗ Văn Khỏe', CAI_KHE); // green: not followed up
});
afterAll(() => svc.close());

describe('ward scope on the follow-up routes', () => {
  it('a ward official sees only their wards, a district official the district, city-wide health all', async () => {
    const a = await list(caiKhe);
    expect(a.status).toBe(200);
    expect(a.body.map((e) => e.name).sort()).toEqual(['Phạm Văn Gặp', 'Trần Thị Sốt']);
    expect(a.body.find((e) => e.personId === sick.id)).toMatchObject({
      wardCode: CAI_KHE,
      reasons: ['symptoms'],
      status: 'new',
      address: expect.stringContaining('Cái Khế'),
    });
    expect(a.body.find((e) => e.personId === exposed.id)!.reasons).toEqual(['exposure']);
    // Another ward, asked for by name: nothing.
    expect((await list(caiKhe, `?wardCode=${XUAN_KHANH}`)).body).toEqual([]);
    expect((await list(xuanKhanh)).body.map((e) => e.personId)).toEqual([risky.id]);
    expect((await list(xuanKhanh)).body[0]!.reasons).toEqual(['contact-declared']);
    expect((await list(vinhThanh)).body.map((e) => e.personId)).toEqual([far.id]);
    const all = await list(city);
    expect(all.body.map((e) => e.personId).sort()).toEqual([sick.id, risky.id, exposed.id, far.id].sort());
    expect((await list(city, `?wardCode=${CAI_KHE}`)).body).toHaveLength(2);
    expect((await list({ headers: adminHeaders })).body).toHaveLength(4);
  });

  it('PATCH outside the scope is 404 and changes nothing; other roles are refused', async () => {
    expect((await patch(caiKhe, risky.id, { status: 'contacted' })).statusCode).toBe(404);
    expect((await patch(vinhThanh, sick.id, { status: 'contacted' })).statusCode).toBe(404);
    expect((await list(city, '?status=contacted')).body).toEqual([]);
    // A ward_health token not bound to an account has no wards: it sees nothing.
    const bare = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/officials/tokens',
      headers: adminHeaders,
      payload: { roles: ['ward_health'] },
    });
    const bareHeaders = { authorization: `Bearer ${(bare.json() as { token: string }).token}` };
    expect(await list({ headers: bareHeaders })).toEqual({ status: 200, body: [] });
    expect((await patch({ headers: bareHeaders }, sick.id, { status: 'contacted' })).statusCode).toBe(404);
    const comms = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/officials/tokens',
      headers: adminHeaders,
      payload: { roles: ['comms'] },
    });
    const commsHeaders = { authorization: `Bearer ${(comms.json() as { token: string }).token}` };
    expect((await list({ headers: commsHeaders })).status).toBe(403);
    expect((await patch({ headers: commsHeaders }, sick.id, { status: 'contacted' })).statusCode).toBe(403);
  });

  it('PATCH in scope sets status and note, filtered by status, and every read and change is audited', async () => {
    const r = await patch(caiKhe, sick.id, { status: 'testing', note: 'Đã hẹn lấy mẫu 9 giờ' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ personId: sick.id, status: 'testing', note: 'Đã hẹn lấy mẫu 9 giờ' });
    expect((await list(caiKhe, '?status=testing')).body.map((e) => e.personId)).toEqual([sick.id]);
    expect((await list(city, '?status=testing')).body.map((e) => e.personId)).toEqual([sick.id]);
    expect((await list(xuanKhanh, '?status=testing')).body).toEqual([]);
    const audit = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'followup.update'));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: expect.stringMatching(/^token:/),
      subjectId: sick.id,
      details: { previous: 'new', status: 'testing', noteChanged: true },
    });
    const reads = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'followup.list'));
    expect(reads.length).toBeGreaterThanOrEqual(10);
    expect(reads.some((x) => JSON.stringify(x.details).includes(CAI_KHE))).toBe(true);
  });
});

describe('a negative test clears the exposure yellow', () => {
  it('yellow by the alert, green after negative, the alert kept; a later alert is yellow again', async () => {
    const before = await currentStatus(svc.db.db, exposed.id, clock.now(), svc.config);
    expect(before.status).toBe('yellow');
    expect(before.reasons).toContain('exposure');
    clock.advance(60_000);
    expect((await patch(caiKhe, exposed.id, { status: 'negative' })).statusCode).toBe(200);
    const after = await currentStatus(svc.db.db, exposed.id, clock.now(), svc.config);
    expect(after.status).toBe('green');
    expect(after.reasons).toEqual([]);
    expect(await svc.db.db.select().from(contacts).where(eq(contacts.personId, exposed.id))).toHaveLength(1);
    // Still on the list (alerted in the last 14 days), now with its status.
    expect((await list(caiKhe, '?status=negative')).body.map((e) => e.personId)).toEqual([exposed.id]);
    clock.advance(60_000);
    await svc.db.db.insert(contacts).values({
      exposureKey: 'manual-2',
      personId: exposed.id,
      kind: 'casual',
      overlapMinutes: 5,
      exposedAt: clock.now(),
      alertedAt: clock.now(),
    });
    expect((await currentStatus(svc.db.db, exposed.id, clock.now(), svc.config)).status).toBe('yellow');
  });
});

describe('batched alert to ward officials', () => {
  it('one message per batch to the official of that ward only, once, nothing when nothing is new', async () => {
    // The first batch reports what was declared before it: Cái Khế, Xuân Khánh and Vĩnh Thạnh each get one.
    await until(async () => (await batchRows(caiKhe.accountId)).length === 1, {
      clock,
      stepMs: 30_000,
      what: 'first batch',
    });
    await until(
      async () =>
        (await batchRows(xuanKhanh.accountId)).length === 1 && (await batchRows(vinhThanh.accountId)).length === 1,
      { clock, stepMs: 1000 },
    );
    const first = (await batchRows(caiKhe.accountId))[0]!;
    expect(JSON.stringify(first.payload)).toContain('Trần Thị Sốt');
    expect(JSON.stringify(first.payload)).not.toContain('Phạm Văn Gặp'); // declared nothing risky (exposure is an alert of its own)
    expect(JSON.stringify(first.payload)).toContain('/theodoi');

    // A new symptomatic declaration in Cái Khế.
    const newcomer = await resident('Ngô Thị Ho', CAI_KHE, { symptoms: ['cough'] });
    await declare(newcomer.id, { symptoms: ['cough', 'fever'] }); // twice in one batch: still one person
    await until(async () => (await batchRows(caiKhe.accountId)).length === 2, {
      clock,
      stepMs: 30_000,
      what: 'second batch',
    });
    const second = (await batchRows(caiKhe.accountId))[1]!;
    expect(JSON.stringify(second.payload)).toContain('Có 1 người dân mới');
    expect(JSON.stringify(second.payload)).toContain('Ngô Thị Ho');
    expect(JSON.stringify(second.payload)).not.toContain('Trần Thị Sốt');
    // An hour of batches later: nothing more, to anyone; city-wide health never gets the ward batch.
    for (let i = 0; i < 60; i++) {
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await batchRows(caiKhe.accountId)).toHaveLength(2);
    expect(await batchRows(xuanKhanh.accountId)).toHaveLength(1);
    expect(await batchRows(vinhThanh.accountId)).toHaveLength(1);
    expect(await batchRows(city.accountId)).toHaveLength(0);
  });
});

describe('/theodoi in chat', () => {
  it('lists the scope and sets a status by button, with a typed note', async () => {
    const help = await say(svc, caiKhe.externalId, '/trogiup');
    expect(help.join('\n')).toContain('/theodoi');
    const r = await handle(svc, { channel: 'web', accountId: caiKhe.externalId, kind: 'text', text: '/theodoi' });
    const text = r.replies[0]!.text!;
    expect(text).toContain('Trần Thị Sốt');
    expect(text).not.toContain('Lê Văn Rủi');
    const buttons = r.replies[0]!.buttons!.flat();
    const pick = buttons.find((b) => b.label.includes('Trần Thị Sốt'))!;
    const opened = await handle(svc, {
      channel: 'web',
      accountId: caiKhe.externalId,
      kind: 'button',
      payload: pick.payload,
    });
    const statusButtons = opened.replies[0]!.buttons!.flat();
    expect(statusButtons.map((b) => b.label)).toContain('Đang cách ly');
    expect((await say(svc, caiKhe.externalId, 'Cách ly tại nhà từ hôm nay'))[0]).toMatch(/Đã nhận ghi chú/);
    const isolating = statusButtons.find((b) => b.label === 'Đang cách ly')!;
    const done = await handle(svc, {
      channel: 'web',
      accountId: caiKhe.externalId,
      kind: 'button',
      payload: isolating.payload,
    });
    expect(done.replies[0]!.text).toMatch(/Đã cập nhật trạng thái: Đang cách ly/);
    const entry = (await list(city, '?status=isolating')).body;
    expect(entry).toEqual([expect.objectContaining({ personId: sick.id, note: 'Cách ly tại nhà từ hôm nay' })]);
    // A resident does not have the command.
    expect((await say(svc, 'r-Đỗ Văn Khỏe', '/theodoi'))[0]).toMatch(/chưa hiểu lệnh/);
  });
});

describe('scope elsewhere', () => {
  it('healthOfficialsFor: the ward officials of the ward (by code or district) plus city-wide health', async () => {
    const ids = async (wardCode: string | null) =>
      (await healthOfficialsFor(svc.db.db, { wardCode })).map((o) => o.id).sort();
    expect(await ids(CAI_KHE)).toEqual([caiKhe.accountId, city.accountId].sort());
    expect(await ids(THANH_AN)).toEqual([vinhThanh.accountId, city.accountId].sort());
    expect(await ids(null)).toEqual([city.accountId]);
  });

  it('/moi ward_health takes ward codes or a district code; the accepted role carries the scope', async () => {
    await official('adminChat', { role: 'admin' });
    expect((await say(svc, 'adminChat', '/moi ward_health'))[0]).toMatch(/cần phạm vi/);
    expect((await say(svc, 'adminChat', '/moi ward_health 99999'))[0]).toMatch(/không đúng/);
    const created = (await say(svc, 'adminChat', `/moi ward_health ${CAI_KHE},${XUAN_KHANH}`))[0]!;
    expect(created).toContain(`${CAI_KHE}, ${XUAN_KHANH}`);
    const code = /O-([2-9A-Z]{10})/.exec(created)![1]!;
    await handle(svc, { channel: 'web', accountId: 'wardAX', kind: 'start', param: `o_${code}` });
    const acc = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.externalId, 'wardAX'), eq(accounts.channel, 'web')),
    });
    const [role] = await svc.db.db.select().from(officialRoles).where(eq(officialRoles.accountId, acc!.id));
    expect(role).toMatchObject({ role: 'ward_health', wardCodes: [CAI_KHE, XUAN_KHANH], districtCode: null });
    // The API refuses a scope on a city-wide role and an unknown ward.
    const bad = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/officials/invites',
      headers: adminHeaders,
      payload: { role: 'health', wardCodes: [CAI_KHE] },
    });
    expect(bad.statusCode).toBe(400);
    const unknown = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/officials/invites',
      headers: adminHeaders,
      payload: { role: 'ward_health', wardCodes: ['99999'] },
    });
    expect(unknown.statusCode).toBe(400);
  });
});

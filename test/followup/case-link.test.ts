import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { cases } from '../../src/db/schema/index.js';
import { seedWardResident } from '../helpers/residents.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { inviteOfficial, type InvitedOfficial } from '../helpers/officials.js';
import { WebChatClient } from '../web/chat-client.js';
import { handle } from '../broadcast/fixtures.js';

let svc: TestService;
let clock: ManualClock;
const CAI_KHE = '31117';
let health: InvitedOfficial;
let ward: InvitedOfficial;

const resident = (name: string) =>
  seedWardResident(svc.db.db, {
    name,
    wardCode: CAI_KHE,
    now: clock.now(),
    declared: [{ ago: 0, symptoms: ['fever', 'cough'] }],
    birthYear: 1979,
    gender: 'male',
  });

const patch = (headers: Record<string, string>, personId: string, status: string) =>
  svc.app.inject({ method: 'PATCH', url: `/api/v1/followups/${personId}`, headers, payload: { status } });

beforeAll(async () => {
  svc = await startTestService();
  clock = svc.clock as ManualClock;
  health = await inviteOfficial(svc, 'health-official-0001', { role: 'health' });
  ward = await inviteOfficial(svc, 'ward-1', { role: 'ward_health', wardCodes: [CAI_KHE] });
});
afterAll(() => svc.close());

describe('isolating and positive lead to recording a case', () => {
  it('PATCH isolating or positive answers with the request that records the case; other statuses do not', async () => {
    const id = await resident('Đặng Văn Sáu');
    const contacted = await patch(ward.headers, id, 'contacted');
    expect(contacted.statusCode).toBe(200);
    expect(contacted.json().recordCase).toBeNull();

    const isolating = await patch(ward.headers, id, 'isolating');
    expect(isolating.statusCode).toBe(200);
    expect(isolating.json()).toMatchObject({
      status: 'isolating',
      recordCase: { method: 'POST', path: '/api/v1/cases', body: { personId: id, dryRun: true }, allowed: false },
    });
    const positive = await patch(health.headers, id, 'positive');
    expect(positive.json()).toMatchObject({ status: 'positive', recordCase: { allowed: true } });

    // Following the hint works: the preview, then the case for that person.
    const { method, path, body } = positive.json().recordCase as { method: 'POST'; path: string; body: object };
    const preview = await svc.app.inject({ method, url: path, headers: health.headers, payload: body });
    expect(preview.statusCode).toBeLessThan(300);
    expect(await svc.db.db.query.cases.findMany({ where: eq(cases.personId, id) })).toHaveLength(0);
    const real = await svc.app.inject({ method, url: path, headers: health.headers, payload: { personId: id } });
    expect(real.statusCode).toBe(201);
    expect(await svc.db.db.query.cases.findMany({ where: eq(cases.personId, id) })).toHaveLength(1);
  });

  it('in /theodoi, isolating offers «Ghi nhận ca bệnh», which starts /f0 for that person', async () => {
    const id = await resident('Huỳnh Thị Bảy');
    const chat = new WebChatClient(svc.app);
    // The health official's chat account is the invited web account; the client id is its external id.
    Object.defineProperty(chat, 'clientId', { value: health.externalId });
    await chat.say('/theodoi');
    await chat.tap('Huỳnh Thị Bảy');
    await chat.tap('Đang cách ly');
    expect(chat.last[0]!.text).toContain('Đã cập nhật trạng thái: Đang cách ly.');
    await chat.tap('Ghi nhận ca bệnh');
    expect(chat.last[0]!.text).toContain('Anh/Chị biết ngày nào');
    await chat.tap('xét nghiệm');
    await chat.say('hôm nay');
    const confirm = chat.last[0]!.text!;
    expect(confirm).toContain('Người dân: Huỳnh Thị Bảy (1979)');
    await chat.tap('Ghi nhận');
    await chat.tap('Gửi cảnh báo');
    const recorded = await svc.db.db.query.cases.findMany({ where: eq(cases.personId, id) });
    expect(recorded).toHaveLength(1);
  });

  it('a ward official without the case role is told who records cases, with no button', async () => {
    const id = await resident('Lý Văn Tám');
    const r1 = await handle(svc, { channel: 'web', accountId: ward.externalId, kind: 'button', payload: `fu:p:${id}` });
    expect(r1.replies[0]!.text).toContain('Lý Văn Tám');
    const r2 = await handle(svc, {
      channel: 'web',
      accountId: ward.externalId,
      kind: 'button',
      payload: 'fus:positive',
    });
    expect(r2.replies[0]!.text).toContain('Dương tính');
    expect(r2.replies[0]!.text).toContain('/f0');
    expect(r2.replies[0]!.buttons ?? []).toEqual([]);
    // Pressing a forged «Ghi nhận ca bệnh» does not start /f0 for them.
    const r3 = await handle(svc, { channel: 'web', accountId: ward.externalId, kind: 'button', payload: `f0p:${id}` });
    expect(r3.replies[0]!.text).not.toContain('ngày nào');
  });
});

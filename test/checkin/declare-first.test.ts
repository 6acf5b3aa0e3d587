import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, persons, visits } from '../../src/db/schema/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { answerFirstDeclaration, answerHealthQuestions, newResident, WebChatClient } from '../web/chat-client.js';
import { answerHealthQuestions as answerAsAsked } from '../helpers/declaration-form.js';

/**
 * A poster scanned without a valid declaration: the real declaration dialog runs (after consent for a new
 * account), and its confirmation hands over to the check-in of that venue without a second scan.
 */
let svc: TestService;
const clock = new ManualClock('2021-08-01T08:00:00+07:00');
let church: { id: string; code: string };
let market: { id: string; code: string };

beforeAll(async () => {
  svc = await startTestService({ clock });
  church = await createVenue(svc.db.db, { name: 'Nhà thờ Chánh Tòa', kind: 'tourism' });
  market = await createVenue(svc.db.db, { name: 'Chợ Xuân Khánh', kind: 'shop' });
});
afterAll(() => svc?.close());

async function selfOf(c: WebChatClient) {
  const acc = await svc.db.db.query.accounts.findFirst({
    where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, c.clientId)),
  });
  return svc.db.db.query.persons.findFirst({
    where: and(eq(persons.ownerAccountId, acc!.id), eq(persons.isSelf, true)),
  });
}
const visitsOf = (personId: string) => svc.db.db.query.visits.findMany({ where: eq(visits.personId, personId) });

/** The replies to a confirmed declaration that resumes a check-in: thanks, the pass, the check-in question. */
function expectPassThenCheckinQuestion(c: WebChatClient, venueName: string) {
  expect(c.last).toHaveLength(3);
  expect(c.last[0]!.text).toContain('đã khai báo xong');
  expect(c.last[1]!.image).toMatch(/^data:image\/png;base64,/);
  expect(c.last[2]!.text).toContain(`Check-in tại ${venueName}`);
  expect(c.last[2]!.buttons!.flat().map((b) => b.label)).toContain('✅ Xác nhận check-in');
}

describe('declaring first, then the check-in completes', () => {
  it('a resident whose declaration expired declares through v_<code> and is checked in without scanning again', async () => {
    const c = await newResident(svc.app);
    await answerFirstDeclaration(c, { name: 'Nguyễn Văn An', phone: '0912 345 678' });
    const me = (await selfOf(c))!;
    clock.advance(2 * 86_400_000); // the 24-hour pass has lapsed

    await c.start(`v_${church.code}`);
    expect(c.transcript()).toContain('Để check-in tại Nhà thờ Chánh Tòa, Anh/Chị cần khai báo y tế trước');
    expect(c.transcript()).toContain('Chào Nguyễn Văn An'); // a known person: only the health questions
    expect(await visitsOf(me.id)).toHaveLength(0);

    clock.advanceMinutes(2);
    await answerHealthQuestions(c);
    expectPassThenCheckinQuestion(c, 'Nhà thờ Chánh Tòa');
    expect(await visitsOf(me.id)).toHaveLength(0); // nothing recorded before the resident confirms

    await c.tap('Xác nhận check-in');
    expect(c.transcript()).toContain('Đã check-in tại Nhà thờ Chánh Tòa lúc 08:02 03/08/2021');
    const recorded = await visitsOf(me.id);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ venueId: church.id, source: 'poster', channel: 'web', exitedAt: null });
  });

  it('a brand-new resident: v_<code> → privacy notice → full declaration → pass → check-in', async () => {
    const c = new WebChatClient(svc.app);
    await c.start(`v_${church.code}`);
    expect(c.transcript()).toContain('Để check-in tại Nhà thờ Chánh Tòa');
    expect(c.transcript()).toContain('dữ liệu cá nhân');
    await c.tap('Đồng ý');
    expect(c.transcript()).toContain('Họ và tên');
    await answerFirstDeclaration(c, { name: 'Trần Thị Bích', phone: '0987 654 321' });
    expectPassThenCheckinQuestion(c, 'Nhà thờ Chánh Tòa');
    await c.tap('Xác nhận check-in');
    expect(c.transcript()).toContain('Đã check-in tại Nhà thờ Chánh Tòa');
    const me = (await selfOf(c))!;
    expect(me).toMatchObject({ fullName: 'Trần Thị Bích', phone: '+84987654321' });
    expect(await visitsOf(me.id)).toHaveLength(1);
  });
});

describe('scanning a poster again in the middle of the declaration', () => {
  it('keeps the answers given, asks the current question again, and checks in at the poster scanned last', async () => {
    const c = new WebChatClient(svc.app);
    await c.start(`v_${church.code}`);
    await c.tap('Đồng ý');
    await c.say('Lê Văn Cường');
    await c.say('1979');
    await c.say('nam');
    expect(c.transcript()).toContain('Số điện thoại');

    // The camera app opens the link again (same poster, then the market's): nothing typed so far is lost.
    await c.start(`v_${church.code}`);
    expect(c.transcript()).toContain('Số điện thoại');
    expect(c.transcript()).not.toContain('Họ và tên');
    await c.start(`v_${market.code}`);
    expect(c.transcript()).toContain('Để check-in tại Chợ Xuân Khánh');
    expect(c.transcript()).toContain('Số điện thoại');

    for (const a of ['0903 111 222', 'skip', 'xuan khanh']) await c.say(a);
    await c.tap('Phường Xuân Khánh');
    await c.say('5 Hai Bà Trưng');
    await answerAsAsked(c.form(), { typed: true });
    await c.say('skip');
    const summary = c.transcript();
    for (const s of ['Lê Văn Cường', '1979', 'Nam', '0903 111 222', 'Phường Xuân Khánh, Quận Ninh Kiều'])
      expect(summary).toContain(s);
    await c.tap('✅ Xác nhận');
    expectPassThenCheckinQuestion(c, 'Chợ Xuân Khánh');
    await c.tap('Xác nhận check-in');
    const me = (await selfOf(c))!;
    const recorded = await visitsOf(me.id);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.venueId).toBe(market.id);
  });

  it('/khaibao typed mid-declaration also goes on from the current question', async () => {
    const c = await newResident(svc.app);
    await c.say('Phạm Thị Dung');
    await c.say('1992');
    await c.say('/khaibao');
    expect(c.transcript()).toContain('Giới tính');
    expect(c.transcript()).not.toContain('Họ và tên');
  });
});

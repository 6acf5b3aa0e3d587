import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, venueStaff, venues } from '../../src/db/schema/index.js';
import { parseDay, wardSearchText } from '../../src/features/venues/owner-dialog.js';
import { parseStayMinutes } from '../../src/features/venues/stay-parsing.js';
import { parseTypedVenueCode } from '../../src/features/venues/codes.js';
import { decodeQrPng } from '../helpers/qr.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { chat, payloads, textOf } from '../checkin/chat-driver.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';

let svc: TestService;
const clock = new ManualClock('2021-08-01T08:00:00+07:00');

beforeAll(async () => {
  svc = await startTestService({ clock });
});
afterAll(() => svc.close());

describe('owner in chat: /diadiem', () => {
  it('registers a venue step by step, re-asking on bad answers, and gets the poster', async () => {
    const me = chat(svc, 'owner-a');
    const menu = await me.text('/diadiem');
    expect(textOf(menu)).toContain('chưa quản lý địa điểm nào');
    expect(textOf(await me.press('vn:new'))).toContain('Tên địa điểm là gì?');
    expect(textOf(await me.text('A'))).toContain('Tên cần từ 2');
    const kinds = await me.text('Quán cơm Tấm   Bà Ba');
    expect(payloads(kinds)).toContain('vk:restaurant');
    expect(textOf(await me.text('quán ăn'))).toContain('chọn loại địa điểm');
    expect(textOf(await me.press('vk:restaurant'))).toContain('phường/xã nào');
    expect(textOf(await me.text('Ba Đình'))).toContain('Không tìm thấy phường/xã «Ba Đình»');
    // Can Tho's shipped list has two wards named Thạnh An / Thanh An (both in Huyện Vĩnh Thạnh): a choice.
    const many = await me.text('Thạnh An');
    expect(payloads(many).sort()).toEqual(['vw:31231', 'vw:31240']);
    expect(textOf(await me.press('vw:31240'))).toContain('Số nhà, tên đường');
    expect(textOf(await me.text('88 Cách Mạng Tháng Tám'))).toContain('Khách thường ở lại bao lâu');
    expect(textOf(await me.text('5 phút'))).toContain('từ 15 phút');
    // Not understood is said as such, not as out of range.
    expect(textOf(await me.text('khoảng chừng'))).toContain('Chưa hiểu thời gian «khoảng chừng»');
    const done = await me.text('1 tiếng rưỡi');
    const text = textOf(done);
    expect(text).toContain('Đã đăng ký «Quán cơm Tấm Bà Ba»');
    const v = await svc.db.db.query.venues.findFirst({ where: eq(venues.name, 'Quán cơm Tấm Bà Ba') });
    expect(v).toMatchObject({
      kind: 'restaurant',
      wardCode: '31240',
      address: '88 Cách Mạng Tháng Tám',
      defaultStayMinutes: 90,
    });
    const owner = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'owner-a') });
    expect(v!.ownerAccountId).toBe(owner!.id);
    expect(await svc.db.db.query.venueStaff.findMany({ where: eq(venueStaff.venueId, v!.id) })).toMatchObject([
      { role: 'owner' },
    ]);

    const poster = done.replies.find((r) => r.image)!;
    expect(decodeQrPng(poster.image!.png)).toBe(`https://khaibao.test/c/${v!.code}`);
    expect(poster.link!.url).toMatch(new RegExp(`^https://khaibao.test/venues/${v!.id}/poster.pdf\\?t=`));
    const pdf = await svc.app.inject({ url: poster.link!.url.replace('https://khaibao.test', '') });
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(payloads(done)).toContain(`vn:today:${v!.id}`);
    expect(textOf(await me.text('/venue'))).toContain(`Quán cơm Tấm Bà Ba – mã ${v!.code}`);
  });

  it("shows today's and another day's visits with masked names; closes and reopens", async () => {
    const me = chat(svc, 'owner-a');
    const v = (await svc.db.db.query.venues.findFirst({ where: eq(venues.name, 'Quán cơm Tấm Bà Ba') }))!;
    await residentWithDeclaration(svc.db.db, {
      externalId: 'guest-1',
      name: 'Võ Thị Mỹ Linh',
      declaredAt: clock.now(),
    });
    const guest = chat(svc, 'guest-1');
    await guest.start(`v_${v.code}`);
    await guest.press('cf:ok');

    const today = textOf(await me.press(`vn:today:${v.id}`));
    expect(today).toContain('Lượt vào Quán cơm Tấm Bà Ba ngày 01/08/2021: 1');
    expect(today).toContain('08:00–đang ở · Võ T. M. L. (1990)');
    expect(today).not.toContain('Võ Thị Mỹ Linh');

    clock.set('2021-08-03T09:00:00+07:00');
    expect(textOf(await me.press(`vn:day:${v.id}`))).toContain('ngày nào');
    expect(textOf(await me.text('32/13'))).toContain('Chưa hiểu ngày');
    expect(textOf(await me.text('1/8'))).toContain('ngày 01/08/2021: 1');

    expect(textOf(await me.press(`vn:close:${v.id}`))).toContain('Đã tạm đóng');
    expect(textOf(await chat(svc, 'guest-1').start(`v_${v.code}`))).toContain('đang tạm đóng');
    expect(textOf(await me.press(`vn:reopen:${v.id}`))).toContain('Đã mở lại');
  });

  it('invites staff by a Telegram deep link when the bot is known; staff cannot do owner things', async () => {
    svc.deps.links.useTelegramBot(() => 'khaibao_test_bot');
    try {
      const me = chat(svc, 'owner-a');
      const v = (await svc.db.db.query.venues.findFirst({ where: eq(venues.name, 'Quán cơm Tấm Bà Ba') }))!;
      const invite = textOf(await me.press(`vn:invite:${v.id}`));
      const url = new URL(/https:\/\/t\.me\/\S+/.exec(invite)![0]);
      const param = url.searchParams.get('start')!;
      expect(param).toMatch(/^s_[A-Z0-9]{12}$/);
      const staff = chat(svc, 'staff-a', 'telegram');
      expect(textOf(await staff.start(param))).toContain('đã là nhân viên của Quán cơm Tấm Bà Ba');
      expect(textOf(await chat(svc, 'staff-b', 'telegram').start(param))).toContain('đã được dùng');
      expect(textOf(await staff.start('s_AAAAAAAAAAAA'))).toContain('không đúng');
      const card = await staff.press(`vn:open:${v.id}`);
      expect(payloads(card)).toEqual([`vn:poster:${v.id}`, `vn:scan:${v.id}`]);
      expect(textOf(await staff.press(`vn:invite:${v.id}`))).toContain('Chỉ chủ địa điểm');
      expect(textOf(await staff.press(`vn:close:${v.id}`))).toContain('Chỉ chủ địa điểm');
      expect(textOf(await chat(svc, 'nobody').press(`vn:open:${v.id}`))).toContain('không quản lý');
    } finally {
      svc.deps.links.useTelegramBot(() => undefined);
    }
  });
});

describe('parsing what owners and residents type', () => {
  it.each([
    ['90', 90],
    ['90 phút', 90],
    ['2 giờ', 120],
    ['1,5h', 90],
    ['2 hours', 120],
    ['90p', 90],
    ['90ph', 90],
    ["45'", 45],
    ['45 min', 45],
    ['1h30', 90],
    ['1h30p', 90],
    ['1g30', 90],
    ['1 giờ 30 phút', 90],
    ['1 tiếng 30', 90],
    ['1 tiếng rưỡi', 90],
    ['1 tieng ruoi', 90],
    ['2 giờ rưỡi', 150],
    ['1:30', 90],
    ['nửa tiếng', 30],
    ['một tiếng rưỡi', 90],
    ['1.5 hours', 90],
    ['  3 TIẾNG ', 180],
    ['abc', undefined],
    ['1h30h', undefined],
    ['-5', undefined],
    ['', undefined],
  ])('stay %s → %s', (input, minutes) => expect(parseStayMinutes(input)).toBe(minutes));

  it('days are Vietnam calendar days', () => {
    const now = new Date('2021-08-01T01:00:00+07:00');
    expect(parseDay('hôm nay', now)).toMatchObject({
      from: new Date('2021-08-01T00:00:00+07:00'),
      label: '01/08/2021',
    });
    expect(parseDay('hom qua', now)!.label).toBe('31/07/2021');
    expect(parseDay('25/12', now)!.label).toBe('25/12/2020');
    expect(parseDay('31/02/2021', now)).toBeUndefined();
  });

  it('ward names match with or without diacritics and prefixes', () => {
    expect(wardSearchText('Phường An Khánh')).toBe('an khanh');
    expect(wardSearchText('xã  Đông Thuận')).toBe('dong thuan');
  });

  it.each([
    ['K7QX3M', { code: 'K7QX3M', looksLikeCode: true }],
    ['k7q x3m', { code: 'K7QX3M', looksLikeCode: true }],
    ['k 7 q x 3 m', { code: 'K7QX3M', looksLikeCode: true }],
    ['CI k7qx3m', { code: 'K7QX3M', looksLikeCode: true }],
    ['ci:K7Q-X3M', { code: 'K7QX3M', looksLikeCode: true }],
    ['CI ABC10O', { code: 'ABC10O', looksLikeCode: true }],
    ['ABC10O', { code: 'ABC10O', looksLikeCode: true }],
    ['ZZZZZZ', { code: 'ZZZZZZ', looksLikeCode: true }],
    ['wzfe 24', { code: 'WZFE24', looksLikeCode: true }],
    ['thanks', { code: 'THANKS', looksLikeCode: false }],
    ['camonn', undefined],
    ['xin chao', undefined],
    ['hello world', undefined],
  ])('typed code %s', (input, expected) => expect(parseTypedVenueCode(input)).toEqual(expected));
});

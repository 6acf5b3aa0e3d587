import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, outbox } from '../../src/db/schema/index.js';
import { createInvite } from '../../src/features/officials/invites.js';
import { queueDueBroadcasts } from '../../src/features/broadcast/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { handle, press, RecordingSender, say, seedAccounts, seedWards } from './fixtures.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
  await seedWards(svc.db.db);
  // The residents are on Telegram and Zalo: their channels (at the port) declare the text limits.
  for (const name of ['telegram', 'zalo']) svc.deps.channels.set(name, new RecordingSender(name));
  await seedAccounts(svc.db.db, { n: 30, prefix: 'ah', wardCode: '31120' });
  await seedAccounts(svc.db.db, { n: 20, prefix: 'xk', wardCode: '31144', channel: 'zalo' });
  await seedAccounts(svc.db.db, { n: 5, prefix: 'ab', wardCode: '31231' });
  await seedAccounts(svc.db.db, { n: 3, prefix: 'ab2', wardCode: '31240' });
  await seedAccounts(svc.db.db, { n: 4, prefix: 'bl', wardCode: '31120', unreachable: true });
  const inv = await createInvite(svc.db.db, { role: 'comms', actor: 'test', now: svc.clock.now() });
  await handle(svc, { channel: 'web', accountId: 'comms1', kind: 'start', param: `o_${inv.code}` });
});
afterAll(() => svc.close());

describe('/thongbao in chat', () => {
  it('a resident gets the unknown-command answer', async () => {
    expect(await say(svc, 'resident', '/thongbao')).toEqual(await say(svc, 'resident', '/khongcolenhnay'));
    expect((await say(svc, 'resident', '/huythongbao'))[0]).toMatch(/chưa hiểu lệnh/);
  });

  it('text → wards typed by name → preview with the count → send', async () => {
    expect((await say(svc, 'comms1', '/thongbao'))[0]).toMatch(/nội dung thông báo/);
    expect((await say(svc, 'comms1', 'Chợ An Hòa đóng cửa từ 12 giờ trưa nay.'))[0]).toBe('Gửi cho ai ạ?');
    expect((await press(svc, 'comms1', 'bc:wards'))[0]).toMatch(/gõ tên phường/);
    // unknown and ambiguous names are explained; nothing typed before is lost
    const bad = await say(svc, 'comms1', 'an hoa, Phường Không Có');
    expect(bad[0]).toMatch(/Không tìm thấy: Phường Không Có/);
    expect(bad[1]).toMatch(/gõ tên phường/);
    const amb = await say(svc, 'comms1', 'Thạnh An');
    expect(amb[0]).toMatch(
      /Có nhiều nơi tên «Thạnh An»: 31231 \(Thị trấn Thanh An, Huyện Vĩnh Thạnh\); 31240 \(Xã Thạnh An, Huyện Vĩnh Thạnh\)/,
    );
    const preview = await say(svc, 'comms1', 'an hoa, XUÂN KHÁNH, 31240');
    expect(preview[0]).toBe('Người nhận sẽ thấy:');
    expect(preview[1]).toBe('📢 THÔNG BÁO\n\nChợ An Hòa đóng cửa từ 12 giờ trưa nay.');
    expect(preview[2]).toMatch(/Gửi tới: Phường An Hòa, Phường Xuân Khánh, Xã Thạnh An/);
    expect(preview[2]).toMatch(/Số người nhận: 53 \(thêm 4 tài khoản đã chặn bot/);
    const sent = await press(svc, 'comms1', 'bc:send');
    expect(sent[0]).toMatch(/Bắt đầu gửi/);
    const b = await svc.db.db.query.broadcasts.findFirst({ orderBy: (x, { desc }) => [desc(x.createdAt)] });
    expect(b).toMatchObject({ status: 'queuing', audience: { wardCodes: ['31120', '31144', '31240'] } });
    expect(b!.progressAccountId).not.toBeNull();
    await queueDueBroadcasts(svc.deps);
    expect(await svc.db.db.$count(outbox, eq(outbox.refId, b!.id))).toBe(57);
  });

  it('/huythongbao stops the broadcast in progress', async () => {
    const replies = await say(svc, 'comms1', '/huythongbao');
    expect(replies[0]).toMatch(/Đã dừng thông báo\. 53 tin chưa gửi/);
    const b = await svc.db.db.query.broadcasts.findFirst({ orderBy: (x, { desc }) => [desc(x.createdAt)] });
    expect(b!.status).toBe('cancelled');
    expect((await say(svc, 'comms1', '/huythongbao'))[0]).toMatch(/không có thông báo nào đang gửi/);
  });

  it('everyone, then cancel at the preview: nothing is created', async () => {
    const before = await svc.db.db.$count(broadcasts);
    await say(svc, 'comms1', '/broadcast');
    await say(svc, 'comms1', 'Thử nghiệm');
    const preview = await say(svc, 'comms1', 'tat ca');
    expect(preview[2]).toMatch(/Số người nhận: 58/);
    expect((await press(svc, 'comms1', 'bc:cancel'))[0]).toMatch(/Đã hủy/);
    expect(await svc.db.db.$count(broadcasts)).toBe(before);
  });

  it('too long for Zalo recipients: asked to shorten, the draft goes back to the text', async () => {
    await say(svc, 'comms1', '/thongbao');
    await say(svc, 'comms1', 'x'.repeat(2050));
    const r = await say(svc, 'comms1', 'Xuân Khánh');
    expect(r[0]).toMatch(/dài 2063 ký tự, Zalo chỉ nhận tối đa 2000/);
    expect(r[1]).toMatch(/nội dung thông báo/);
    // The same text to Telegram-only An Hòa is fine.
    await say(svc, 'comms1', 'x'.repeat(2050));
    const ok = await say(svc, 'comms1', 'An Hòa');
    expect(ok[0]).toBe('Người nhận sẽ thấy:');
    await say(svc, 'comms1', 'hủy');
    expect((await say(svc, 'comms1', 'x'.repeat(5000))).join()).not.toMatch(/dài/);
  });

  it('keeps Telegram formatting when the adapter hands it over as HTML', async () => {
    await say(svc, 'comms1', '/thongbao');
    await handle(svc, {
      channel: 'web',
      accountId: 'comms1',
      kind: 'text',
      text: 'Tiêm vắc xin tại đây',
      html: '<b>Tiêm vắc xin</b> tại <a href="https://x.vn">đây</a>',
    });
    const r = await handle(svc, { channel: 'web', accountId: 'comms1', kind: 'text', text: 'An Hòa' });
    expect(r.replies[1]).toEqual({
      text: '📢 THÔNG BÁO\n\n<b>Tiêm vắc xin</b> tại <a href="https://x.vn">đây</a>',
      format: 'html',
    });
    await press(svc, 'comms1', 'bc:send');
    const b = await svc.db.db.query.broadcasts.findFirst({ where: eq(broadcasts.format, 'html') });
    expect(b).toMatchObject({ status: 'queuing', text: '<b>Tiêm vắc xin</b> tại <a href="https://x.vn">đây</a>' });
  });
});

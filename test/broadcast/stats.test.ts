import { sql } from 'drizzle-orm';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { createApiToken } from '../../src/features/officials/api-tokens.js';
import { createInvite } from '../../src/features/officials/invites.js';
import { computeStats, vnDayStart } from '../../src/features/stats/index.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { handle, say, seedAccounts, seedWards } from './fixtures.js';

// ManualClock starts 2021-08-01T08:00+07:00. "Today" in Vietnam began 2021-08-01T00:00+07:00.
let svc: TestService;
const at = (s: string) => new Date(s).toISOString();

beforeAll(async () => {
  svc = await startTestService();
  const db = svc.db.db;
  await seedWards(db);
  const [a1, a2, a3] = await seedAccounts(db, { n: 3, prefix: 'p', wardCode: '31120' });
  const [b1] = await seedAccounts(db, { n: 1, prefix: 'q', wardCode: '31144' });
  const [c1] = await seedAccounts(db, { n: 1, prefix: 'r', wardCode: null });
  const pid = async (acc: string) =>
    (await queryRows<{ id: string }>(db, sql`select id from persons where owner_account_id = ${acc}`))[0]!.id;
  const decl = (p: string, when: string, symptoms: string[]) =>
    db.execute(sql`insert into declarations (person_id, travel, symptoms, contact_case, contact_outbreak_area, contact_symptoms, declared_at)
      values (${p}, false, ${`{${symptoms.join(',')}}`}::text[], false, false, false, ${at(when)}::timestamptz)`);
  const [p1, p2, p3, p4, p5] = [await pid(a1!), await pid(a2!), await pid(a3!), await pid(b1!), await pid(c1!)];
  // today (Vietnam): 4 declarations, 2 with symptoms (An Hòa 1, Xuân Khánh 1)
  await decl(p1, '2021-08-01T00:30:00+07:00', ['fever']);
  await decl(p2, '2021-08-01T07:00:00+07:00', []);
  await decl(p4, '2021-08-01T07:59:00+07:00', ['cough', 'fever']);
  await decl(p5, '2021-08-01T06:00:00+07:00', []);
  // yesterday late evening in Vietnam (still 31/07 there, though 1/8 is near in UTC+0 terms): not today
  await decl(p3, '2021-07-31T23:59:00+07:00', ['cough']);
  await decl(p1, '2021-07-29T10:00:00+07:00', ['fever']);
  await decl(p5, '2021-07-27T10:00:00+07:00', ['fatigue']);
  // 8 days ago: outside the week
  await decl(p2, '2021-07-24T10:00:00+07:00', ['fever']);

  await db.execute(sql`insert into venues (id, code, name, kind, default_stay_minutes, created_at) values
    ('10000000-0000-4000-8000-000000000001', 'V1', 'Quán cà phê Mộc', 'cafe', 60, ${at('2021-07-01T00:00:00+07:00')}::timestamptz),
    ('10000000-0000-4000-8000-000000000002', 'V2', 'Chợ Xuân Khánh', 'market', 60, ${at('2021-07-31T09:00:00+07:00')}::timestamptz),
    ('10000000-0000-4000-8000-000000000003', 'V3', 'Nhà hàng cũ', 'restaurant', 60, ${at('2021-06-01T00:00:00+07:00')}::timestamptz)`);
  await db.execute(
    sql`update venues set closed_at = ${at('2021-07-01T00:00:00+07:00')}::timestamptz where code = 'V3'`,
  );
  const visit = (p: string, v: string, when: string) =>
    db.execute(
      sql`insert into visits (person_id, venue_id, entered_at, source, channel) values (${p}, ${v}, ${at(when)}::timestamptz, 'poster', 'telegram')`,
    );
  await visit(p1, '10000000-0000-4000-8000-000000000001', '2021-08-01T07:00:00+07:00');
  await visit(p2, '10000000-0000-4000-8000-000000000001', '2021-08-01T07:10:00+07:00');
  await visit(p3, '10000000-0000-4000-8000-000000000002', '2021-07-31T10:00:00+07:00');
  await visit(p4, '10000000-0000-4000-8000-000000000002', '2021-07-30T10:00:00+07:00');

  await db.execute(sql`insert into contacts (exposure_key, person_id, kind, overlap_minutes, exposed_at, alerted_at, acknowledged_at) values
    ('case-1', ${p2}, 'close', 30, ${at('2021-07-31T10:00:00+07:00')}::timestamptz, ${at('2021-08-01T06:00:00+07:00')}::timestamptz, ${at('2021-08-01T06:30:00+07:00')}::timestamptz),
    ('case-1', ${p3}, 'casual', 5, ${at('2021-07-31T10:00:00+07:00')}::timestamptz, ${at('2021-08-01T06:00:00+07:00')}::timestamptz, null),
    ('case-0', ${p4}, 'casual', 5, ${at('2021-07-28T10:00:00+07:00')}::timestamptz, ${at('2021-07-29T06:00:00+07:00')}::timestamptz, ${at('2021-07-29T08:00:00+07:00')}::timestamptz)`);
});
afterAll(() => svc.close());

describe('statistics', () => {
  it('day boundaries are Vietnam midnight', () => {
    expect(vnDayStart(new Date('2021-08-01T08:00:00+07:00')).toISOString()).toBe('2021-07-31T17:00:00.000Z');
    expect(vnDayStart(new Date('2021-08-01T00:00:00+07:00'), 6).toISOString()).toBe('2021-07-25T17:00:00.000Z');
  });

  it('today and the last 7 days on a known data set', async () => {
    const now = svc.clock.now();
    const today = await computeStats(svc.db.db, vnDayStart(now), now);
    expect(today).toMatchObject({
      declarations: 4,
      symptomatic: 2,
      checkins: 2,
      venues: { total: 2, active: 1, new: 0 },
      alerts: { sent: 2, acknowledged: 1 },
    });
    expect(today.symptomaticByWard).toEqual([
      { wardCode: '31120', wardName: 'Phường An Hòa', count: 1 },
      { wardCode: '31144', wardName: 'Phường Xuân Khánh', count: 1 },
    ]);
    const week = await computeStats(svc.db.db, vnDayStart(now, 6), now);
    expect(week).toMatchObject({
      declarations: 7,
      symptomatic: 5,
      checkins: 4,
      venues: { total: 2, active: 2, new: 1 },
      alerts: { sent: 3, acknowledged: 2 },
    });
    expect(week.symptomaticByWard).toEqual([
      { wardCode: '31120', wardName: 'Phường An Hòa', count: 3 },
      { wardCode: '31144', wardName: 'Phường Xuân Khánh', count: 1 },
      { wardCode: null, wardName: null, count: 1 },
    ]);
    expect(week.daily.map((d) => `${d.date}:${d.declarations}/${d.symptomatic}/${d.checkins}`)).toEqual([
      '2021-07-26:0/0/0',
      '2021-07-27:1/1/0',
      '2021-07-28:0/0/0',
      '2021-07-29:1/1/0',
      '2021-07-30:0/0/1',
      '2021-07-31:1/1/1',
      '2021-08-01:4/2/2',
    ]);
  });

  it('GET /api/v1/stats for health and comms, defaulting to today; bad ranges are a 400', async () => {
    const health = await createApiToken(svc.db.db, { roles: ['health'], actor: 'test', now: svc.clock.now() });
    const res = await svc.app.inject({ url: '/api/v1/stats', headers: { authorization: `Bearer ${health.token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ from: '2021-07-31T17:00:00.000Z', declarations: 4, symptomatic: 2 });
    const ranged = await svc.app.inject({
      url: `/api/v1/stats?from=${encodeURIComponent('2021-07-29T00:00:00+07:00')}&to=${encodeURIComponent('2021-07-30T00:00:00+07:00')}`,
      headers: adminHeaders,
    });
    expect(ranged.json()).toMatchObject({ declarations: 1, symptomatic: 1, alerts: { sent: 1, acknowledged: 1 } });
    const bad = await svc.app.inject({
      url: '/api/v1/stats?from=2021-08-02T00:00:00Z&to=2021-08-01T00:00:00Z',
      headers: adminHeaders,
    });
    expect(bad.statusCode).toBe(400);
    expect((await svc.app.inject({ url: '/api/v1/stats?from=yesterday', headers: adminHeaders })).statusCode).toBe(400);
  });

  it('/thongke answers a health official with text and a chart; a resident gets the unknown-command answer', async () => {
    expect((await say(svc, 'resident', '/thongke'))[0]).toMatch(/chưa hiểu lệnh/);
    const inv = await createInvite(svc.db.db, { role: 'health', actor: 'test', now: svc.clock.now() });
    await handle(svc, { channel: 'web', accountId: 'doctor', kind: 'start', param: `o_${inv.code}` });
    const r = await handle(svc, { channel: 'web', accountId: 'doctor', kind: 'text', text: '/thongke' });
    const text = r.replies[0]!.text!;
    expect(text).toMatch(/^📊 Số liệu đến 08:00 01\/08\/2021/);
    expect(text).toMatch(
      /Hôm nay: 4 lượt khai báo \(2 có triệu chứng\), 2 lượt check-in tại 1 địa điểm, 2 cảnh báo đã gửi \(1 người đã xác nhận\)/,
    );
    expect(text).toMatch(/7 ngày qua: 7 lượt khai báo \(5 có triệu chứng\), 4 lượt check-in tại 2 địa điểm/);
    expect(text).toMatch(/Phường An Hòa: 3, Phường Xuân Khánh: 1, Chưa rõ phường: 1/);
    const png = PNG.sync.read(r.replies[1]!.image!.png);
    expect(png.width).toBe(900);
    expect(png.height).toBeGreaterThan(400);
    // The chart has the amber of symptomatic bars in it (not an empty picture).
    let amber = 0;
    for (let i = 0; i < png.data.length; i += 4)
      if (png.data[i] === 0xf5 && png.data[i + 1] === 0x9e && png.data[i + 2] === 0x0b) amber++;
    expect(amber).toBeGreaterThan(500);
  });
});

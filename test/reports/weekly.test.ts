import { and, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { outbox, settings } from '../../src/db/schema/index.js';
import { latestSlot } from '../../src/features/reports/weekly.js';
import { parseWeeklyAt } from '../../src/config.js';
import type { StoredOutbound } from '../../src/core/messages.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { inviteOfficial } from '../helpers/officials.js';
import { until } from '../helpers/wait.js';
import { persistentDatabase } from '../broadcast/e2e-helpers.js';

const services: TestService[] = [];
let store: Awaited<ReturnType<typeof persistentDatabase>> | undefined;
afterAll(async () => {
  for (const s of services) await s.stop();
  await store?.destroy();
});

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('weekly report time', () => {
  it('parses WEEKLY_REPORT_AT and finds the latest Monday 07:00 in Vietnam time', () => {
    expect(parseWeeklyAt('mon 07:00')).toEqual({ weekday: 1, hour: 7, minute: 0 });
    expect(parseWeeklyAt('T2 7:30')).toEqual({ weekday: 1, hour: 7, minute: 30 });
    expect(parseWeeklyAt('cn 18:00')).toEqual({ weekday: 7, hour: 18, minute: 0 });
    expect(parseWeeklyAt('off')).toBeNull();
    expect(parseWeeklyAt('monday')).toBeUndefined();
    expect(parseWeeklyAt('mon 25:00')).toBeUndefined();
    const at = { weekday: 1, hour: 7, minute: 0 };
    // Monday 2 August 2021 07:00 in Vietnam is 00:00 UTC.
    expect(latestSlot(new Date('2021-08-02T00:00:00Z'), at)).toEqual({
      at: new Date('2021-08-02T00:00:00Z'),
      key: '2021-08-02',
    });
    expect(latestSlot(new Date('2021-08-01T23:59:00Z'), at).key).toBe('2021-07-26');
    // Sunday 23:30 UTC is already Monday 06:30 in Vietnam: still last week's.
    expect(latestSlot(new Date('2021-08-01T23:30:00Z'), at).key).toBe('2021-07-26');
    expect(latestSlot(new Date('2021-08-08T16:59:00Z'), at).key).toBe('2021-08-02');
  });
});

describe('weekly report to city officials', () => {
  it('goes out once at Monday 07:00 with a chart, to city-wide officials only, and not again after a restart', async () => {
    store = await persistentDatabase();
    const clock = new ManualClock('2021-08-01T08:00:00+07:00'); // a Sunday
    const first = await startTestService({ db: await store.open(), workers: true, clock });
    services.push(first);
    const health = await inviteOfficial(first, 'health-official-0001', { role: 'health' });
    const ward = await inviteOfficial(first, 'ward-official-000001', { role: 'ward_health', wardCodes: ['31117'] });
    const imported = await first.app.inject({
      method: 'POST',
      url: '/api/v1/reports/targets/import',
      headers: { ...adminHeaders, 'content-type': 'text/csv' },
      payload: 'name,kind,ward\nQuán Một,restaurant,31117\nQuán Hai,restaurant,31117\nChợ Ba,shop,31231\n',
    });
    expect(imported.json()).toMatchObject({ created: 3, errors: [] });

    const rows = (accountId: string) =>
      first.db.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.accountId, accountId), eq(outbox.kind, 'weekly-report')));

    // Started on a Sunday: last Monday's report is long past and is not sent late.
    clock.advance(60_000);
    await settle();
    expect(await rows(health.accountId)).toHaveLength(0);
    // Monday 06:59: not yet.
    clock.set(new Date('2021-08-02T06:59:00+07:00'));
    await settle();
    expect(await rows(health.accountId)).toHaveLength(0);
    await until(async () => (await rows(health.accountId)).length === 1, {
      clock,
      stepMs: 60_000,
      what: 'weekly report',
    });
    // Sent by the first check at or after 07:00 (the job looks every minute).
    const [kept] = await first.db.db.select().from(settings).where(eq(settings.key, 'weekly-report'));
    const sentAt = new Date((kept!.value as { sentAt: string }).sentAt).getTime();
    expect(sentAt).toBeGreaterThanOrEqual(new Date('2021-08-02T07:00:00+07:00').getTime());
    expect(sentAt).toBeLessThan(new Date('2021-08-02T07:02:00+07:00').getTime());
    const [row] = await rows(health.accountId);
    const payload = row!.payload as StoredOutbound[];
    expect(payload[0]!.text).toContain('Báo cáo tuần');
    expect(payload[0]!.text).toContain('Địa điểm phải đăng ký: 0/3 đã đăng ký (0%)');
    expect(payload[0]!.text).toContain('2 phường/xã có tỷ lệ bao phủ thấp nhất');
    expect(payload[0]!.text).toMatch(/1\. Phường Cái Khế, Quận Ninh Kiều: 0\/2 \(0%\)/);
    const png = Buffer.from(payload[1]!.image!.pngBase64, 'base64');
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(await rows(ward.accountId)).toHaveLength(0);

    // Delivered to the official's web chat: the text and the chart image.
    await until(
      async () => {
        const inbox = await first.app.inject({ url: `/chat/api/inbox?clientId=${health.externalId}` });
        const replies = (inbox.json() as { replies: { text?: string; image?: string }[] }).replies;
        return replies.some((r) => r.image?.startsWith('data:image/png;base64,'));
      },
      { clock, stepMs: 1000, what: 'delivery to the web chat' },
    );

    // A restart on the same database within the hour: nothing more this week.
    await first.stop();
    const second = await startTestService({ db: await store.open(), workers: true, clock });
    services.push(second);
    const rows2 = (accountId: string) =>
      second.db.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.accountId, accountId), eq(outbox.kind, 'weekly-report')));
    for (let i = 0; i < 30; i++) {
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await rows2(health.accountId)).toHaveLength(1);

    // The next Monday 07:00: the next week's report.
    clock.set(new Date('2021-08-09T06:59:00+07:00'));
    await settle();
    await until(async () => (await rows2(health.accountId)).length === 2, {
      clock,
      stepMs: 60_000,
      what: "next week's report",
    });
    expect((await rows2(ward.accountId)).length).toBe(0);
  });
});

import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../../src/db/schema/index.js';
import { createBroadcast } from '../../src/features/broadcast/create.js';
import { trackBroadcasts } from '../../src/features/broadcast/progress.js';
import { queueDueBroadcasts } from '../../src/features/broadcast/queue-audience.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { RecordingSender, seedAccounts } from './fixtures.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

describe('a broadcast that finishes before its first progress message', () => {
  it('sends the official only the report, not a "100 %" that could arrive after it', async () => {
    const sender = new RecordingSender('telegram');
    svc.deps.channels.set('telegram', sender);
    await seedAccounts(svc.db.db, { n: 3, prefix: 'r' });
    const [official] = await seedAccounts(svc.db.db, { n: 1, prefix: 'official', consented: false });
    const b = await createBroadcast(
      svc.db.db,
      { text: 'Thông báo ngắn', audience: { all: true }, actor: `account:${official}`, progressAccountId: official },
      svc.clock.now(),
    );
    await queueDueBroadcasts(svc.deps);
    // Delivered between two ticks of the progress job (a small audience, a fast dispatcher).
    await svc.db.db.execute(sql`update outbox set status = 'sent' where ref_id = ${b.id}`);

    expect((await trackBroadcasts(svc.deps)).finished).toEqual([b.id]);
    expect(sender.sent).toEqual([]);
    expect(sender.edits).toEqual([]);
    const report = await svc.db.db.query.outbox.findFirst({ where: eq(outbox.dedupeKey, `broadcast-report:${b.id}`) });
    expect((report!.payload as { text: string }[])[0]!.text).toBe(
      'Thông báo đã gửi xong: 3 người đã nhận, 0 lỗi, 0 không liên lạc được, 0 đã hủy (tổng 3).',
    );
  });
});

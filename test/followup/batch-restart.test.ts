import { and, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, outbox } from '../../src/db/schema/index.js';
import { declareHealth, seedWardResident } from '../helpers/residents.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';
import { handle } from '../broadcast/fixtures.js';
import { persistentDatabase } from '../broadcast/e2e-helpers.js';

const services: TestService[] = [];
let store: Awaited<ReturnType<typeof persistentDatabase>> | undefined;
afterAll(async () => {
  for (const s of services) await s.stop();
  await store?.destroy();
});

describe('batched follow-up alert across a restart', () => {
  it('a new service on the same database does not report the same declarations again', async () => {
    store = await persistentDatabase();
    const first = await startTestService({
      db: await store.open(),
      workers: true,
      env: { FOLLOWUP_BATCH_MINUTES: '5' },
    });
    services.push(first);
    const clock = first.clock as ManualClock; // one clock, as a restarted process reads the same time
    let db = first.db.db;
    const inv = await first.app.inject({
      method: 'POST',
      url: '/api/v1/officials/invites',
      headers: adminHeaders,
      payload: { role: 'ward_health', wardCodes: ['31117'] },
    });
    const code = (inv.json() as { code: string }).code.replace(/^O-/, '');
    await handle(first, { channel: 'web', accountId: 'ward', kind: 'start', param: `o_${code}` });
    const official = (await db.query.accounts.findFirst({
      where: and(eq(accounts.externalId, 'ward'), eq(accounts.channel, 'web')),
    }))!;
    const personId = await seedWardResident(db, {
      name: 'Trần Thị Sốt',
      wardCode: '31117',
      now: clock.now(),
      declared: [{ ago: 0, symptoms: ['fever'] }],
    });
    const rows = () =>
      db
        .select()
        .from(outbox)
        .where(and(eq(outbox.accountId, official.id), eq(outbox.kind, 'followup-batch')));
    await until(async () => (await rows()).length === 1, { clock, stepMs: 10_000, what: 'first batch' });

    await first.stop();
    const second = await startTestService({
      workers: true,
      db: await store.open(),
      clock: clock,
      env: { FOLLOWUP_BATCH_MINUTES: '5' },
    });
    services.push(second);
    db = second.db.db;
    for (let i = 0; i < 30; i++) {
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await rows()).toHaveLength(1);
    await declareHealth(db, personId, clock.now(), ['fever']);
    await until(async () => (await rows()).length === 2, {
      clock: clock,
      stepMs: 10_000,
      what: 'batch after restart',
    });
  });
});

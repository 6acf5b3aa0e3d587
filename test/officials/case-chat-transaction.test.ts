import { Writable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { cases, outbox } from '../../src/db/schema/index.js';
import { createInvite } from '../../src/features/officials/invites.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { handle, press, say, seedAccounts, seedWards } from '../broadcast/fixtures.js';

// The case recorded by /f0 must commit with the official's confirming update, not after it: a crash between the
// two would otherwise lose the case while the official was told it is being recorded.
let svc: TestService;
let contactAccount: string;
const PHONE = '+84912345678';
const PHONE2 = '+84912345679';
const logLines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
beforeAll(async () => {
  svc = await startTestService({ logger: pino({ level: 'debug' }, sink) as unknown as FastifyBaseLogger });
  const db = svc.db.db;
  await seedWards(db);
  const [caseAcc, case2Acc] = await seedAccounts(db, { n: 2, prefix: 'f0-', wardCode: '31117' });
  contactAccount = (await seedAccounts(db, { n: 1, prefix: 'f1-', wardCode: '31117' }))[0]!;
  await db.execute(
    sql`update persons set phone = ${PHONE}, phone_verified = true where owner_account_id = ${caseAcc!}`,
  );
  await db.execute(
    sql`update persons set phone = ${PHONE2}, phone_verified = true where owner_account_id = ${case2Acc!}`,
  );
  const pid = async (acc: string) =>
    (await queryRows<{ id: string }>(db, sql`select id from persons where owner_account_id = ${acc}`))[0]!.id;
  await db.execute(sql`insert into venues (id, code, name, kind, default_stay_minutes) values
    ('20000000-0000-4000-8000-000000000002', 'CF2', 'Quán cà phê Mộc', 'cafe', 60)`);
  const visit = (p: string, acc: string, from: string, to: string) =>
    db.execute(sql`insert into visits (person_id, venue_id, account_id, entered_at, exited_at, source, channel)
      values (${p}, '20000000-0000-4000-8000-000000000002', ${acc}, ${from}::timestamptz, ${to}::timestamptz, 'poster', 'telegram')`);
  await visit(await pid(caseAcc!), caseAcc!, '2021-07-31T10:00:00+07:00', '2021-07-31T11:00:00+07:00');
  await visit(await pid(contactAccount), contactAccount, '2021-07-31T10:30:00+07:00', '2021-07-31T11:30:00+07:00');
  await visit(await pid(case2Acc!), case2Acc!, '2021-07-31T18:00:00+07:00', '2021-07-31T19:00:00+07:00');
  await visit(await pid(contactAccount), contactAccount, '2021-07-31T18:30:00+07:00', '2021-07-31T19:30:00+07:00');
  const inv = await createInvite(db, { role: 'health', actor: 'test', now: svc.clock.now() });
  await handle(svc, { channel: 'web', accountId: 'doctor', kind: 'start', param: `o_${inv.code}` });
});
afterAll(() => svc.close());

async function upToConfirm(phone: string): Promise<void> {
  expect((await say(svc, 'doctor', `/f0 ${phone}`))[0]).toBe('Anh/Chị biết ngày nào ạ?');
  await press(svc, 'doctor', 'f0:test');
  expect((await say(svc, 'doctor', 'hôm qua'))[0]).toMatch(/^Ghi nhận ca bệnh:/);
  expect((await press(svc, 'doctor', 'f0:record'))[0]).toMatch(/^Xem trước/);
}

const casesOfPhone = (phone: string) => svc.db.db.select().from(cases).where(eq(cases.phone, phone));
const alertsOfContact = () =>
  svc.db.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.kind, 'alert'), eq(outbox.accountId, contactAccount)));
const reports = () => svc.db.db.select().from(outbox).where(eq(outbox.kind, 'case_report'));

describe("/f0 records the case in the official's update", () => {
  it('a failure later in the same update leaves no case, no alert and no report; pressing again records it once', async () => {
    await upToConfirm(PHONE);
    // The update fails after the flow ran: when the runner saves the ended dialog, the database refuses it.
    await svc.db.db.execute(sql`create function f0_fail() returns trigger language plpgsql as $$
      begin
        if old.flow = 'case' and old.step = 'preview' and new.flow is null then raise exception 'forced failure after /f0'; end if;
        return new;
      end $$`);
    await svc.db.db.execute(
      sql`create trigger f0_fail before update on dialog_states for each row execute function f0_fail()`,
    );
    try {
      expect((await press(svc, 'doctor', 'f0:send'))[0]).toMatch(/hệ thống vừa gặp lỗi/);
    } finally {
      await svc.db.db.execute(sql`drop trigger f0_fail on dialog_states`);
      await svc.db.db.execute(sql`drop function f0_fail()`);
    }
    expect(await casesOfPhone(PHONE)).toHaveLength(0);
    expect(await alertsOfContact()).toHaveLength(0);
    expect(await reports()).toHaveLength(0);

    // Nothing of it was kept, the dialog included: the official is still at the confirmation.
    expect((await press(svc, 'doctor', 'f0:send'))[0]).toMatch(/Đang ghi nhận ca bệnh/);
    expect(await casesOfPhone(PHONE)).toHaveLength(1);
    expect(await alertsOfContact()).toHaveLength(1);
    expect(await reports()).toHaveLength(1);
  });

  it('when the update commits, the case, its alerts and the report are already in it (nothing is left for after commit)', async () => {
    // A deferred trigger runs at the very commit of the confirming update and notes what that commit holds: what
    // a crash right after the commit would leave behind.
    await svc.db.db.execute(sql`create table f0_at_commit (cases int, alerts int, reports int)`);
    await svc.db.db.execute(sql`create function f0_at_commit() returns trigger language plpgsql as $$
      begin
        if old.flow = 'case' and old.step = 'preview' and new.flow is null then
          insert into f0_at_commit select
            (select count(*) from cases where phone = '${sql.raw(PHONE2)}'),
            (select count(*) from outbox where kind = 'alert'),
            (select count(*) from outbox where kind = 'case_report');
        end if;
        return null;
      end $$`);
    await svc.db.db.execute(sql`create constraint trigger f0_at_commit after update on dialog_states
      deferrable initially deferred for each row execute function f0_at_commit()`);
    try {
      await upToConfirm(PHONE2);
      const r = await svc.runner.handle({
        channel: 'web',
        accountId: 'doctor',
        messageId: 'f0-record-2',
        kind: 'button',
        payload: 'f0:send',
      });
      expect(r.replies[0]!.text).toMatch(/Đang ghi nhận ca bệnh/);
      const [atCommit] = await queryRows<{ cases: number; alerts: number; reports: number }>(
        svc.db.db,
        sql`select * from f0_at_commit`,
      );
      // The first test left one alert and one report; this commit adds the second case's.
      expect(atCommit).toEqual({ cases: 1, alerts: 2, reports: 2 });
    } finally {
      await svc.db.db.execute(sql`drop trigger f0_at_commit on dialog_states`);
      await svc.db.db.execute(sql`drop function f0_at_commit()`);
    }
    expect(await casesOfPhone(PHONE2)).toHaveLength(1);
    expect(await alertsOfContact()).toHaveLength(2);
  });

  it('logs what the update did with its update id and account, and no personal data', async () => {
    const doctor = (await svc.db.db.query.accounts.findFirst({
      where: (a, { eq: is }) => is(a.externalId, 'doctor'),
    }))!;
    const recorded = logLines.filter((l) => l.msg === 'case recorded in chat');
    expect(recorded).toHaveLength(2);
    expect(recorded[1]).toMatchObject({
      channel: 'web',
      updateId: 'f0-record-2',
      accountId: doctor.id,
      alertsQueued: 1,
    });
    // The failed update of the first test is logged under its own update id.
    const failed = logLines.filter((l) => l.msg === 'update failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.updateId).toMatch(/^t\d+$/);
    const all = JSON.stringify(logLines);
    expect(all).not.toContain('912345678');
    expect(all).not.toContain('912345679');
  });
});

import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { auditLog, contacts, outbox } from '../../src/db/schema/index.js';
import { parseExposureTime } from '../../src/features/exposure/import.js';
import { currentStatus } from '../../src/features/pass/status.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';
import { RecordingSender, seedResident } from './fixtures.js';

/**
 * An F1 list from the national systems (Bluezone, PC-Covid) imported as CSV: residents whose VERIFIED phone is on
 * it become contacts and get the usual alert through the outbox (delivered here by a recording sender), exactly
 * once however often the list is imported; unknown and typed-only phones are counted; bad lines are reported.
 */
let svc: TestService;
let sender: RecordingSender;
const r: Record<string, Awaited<ReturnType<typeof seedResident>>> = {};

const importCsv = (csv: string) =>
  svc.app.inject({
    method: 'POST',
    url: '/api/v1/exposures/import',
    headers: { ...adminHeaders, 'content-type': 'text/csv' },
    payload: csv,
  });

const LIST = [
  'phone,exposed_at,place,source',
  '0912 345 001,2021-08-03T19:30:00+07:00,Chợ đầu mối Bình Điền,PC-Covid',
  '+84912345002,03/08/2021 20:15,"Siêu thị Co.op, Quận 8",Bluezone',
  '0912345003,2021-08-03T10:00:00+07:00,Bến xe Miền Tây,PC-Covid', // typed, unverified
  '0999999999,2021-08-03T10:00:00+07:00,Bến xe Miền Tây,PC-Covid', // nobody
  'not-a-phone,2021-08-03T10:00:00+07:00,Bến xe Miền Tây,PC-Covid',
  '0912345001,yesterday,Bến xe Miền Tây,PC-Covid',
  '0912345001,2021-08-09T10:00:00+07:00,Bến xe Miền Tây,PC-Covid', // future
].join('\r\n');

beforeAll(async () => {
  svc = await startTestService({ clock: new ManualClock('2021-08-05T12:00:00+07:00'), workers: true });
  sender = new RecordingSender('telegram');
  svc.deps.channels.set('telegram', sender);
  const db = svc.db.db;
  r.an = await seedResident(db, 'Nguyễn Văn An', { phone: '+84912345001' });
  r.binh = await seedResident(db, 'Trần Thị Bình', { phone: '+84912345002', locale: 'en' });
  r.typed = await seedResident(db, 'Lê Văn Gõ', { phone: '+84912345003', phoneVerified: false });
  r.other = await seedResident(db, 'Phạm Thị Khác', { phone: '+84912345009' });
});
afterAll(() => svc.close());

describe('POST /api/v1/exposures/import', () => {
  it('parses both time forms', () => {
    expect(parseExposureTime('03/08/2021 20:15')?.toISOString()).toBe('2021-08-03T13:15:00.000Z');
    expect(parseExposureTime('2021-08-03T19:30:00+07:00')?.toISOString()).toBe('2021-08-03T12:30:00.000Z');
    expect(parseExposureTime('31/02/2021 10:00')).toBeUndefined();
  });

  it('alerts matched residents exactly once and reports the rest', async () => {
    const res = await importCsv(LIST);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      lines: 7,
      matchedLines: 2,
      contactsCreated: 2,
      alreadyImported: 0,
      alertsQueued: 2,
      unknownPhones: 2,
      unverifiedPhones: 1,
    });
    expect(res.json().errors).toEqual([
      { line: 6, code: 'INVALID_PHONE', message: expect.any(String) },
      { line: 7, code: 'INVALID_TIME', message: expect.any(String) },
      { line: 8, code: 'TIME_IN_FUTURE', message: expect.any(String) },
    ]);

    // Delivered through the outbox like any alert, in the resident's language, naming the place.
    await until(() => sender.sent.length >= 2);
    const an = sender.to(r.an!.account.externalId);
    expect(an).toHaveLength(1);
    expect(an[0]!.messages[0]!.text).toContain('Chợ đầu mối Bình Điền');
    expect(sender.to(r.binh!.account.externalId)[0]!.messages[0]!.text).toContain('Siêu thị Co.op, Quận 8');
    expect(sender.to(r.typed!.account.externalId)).toHaveLength(0);
    expect(sender.to(r.other!.account.externalId)).toHaveLength(0);

    const rows = await svc.db.db.query.contacts.findMany({
      where: inArray(contacts.personId, [r.an!.person.id, r.binh!.person.id]),
    });
    expect(rows.map((c) => [c.importSource, c.kind, c.visitId]).sort()).toEqual([
      ['Bluezone', 'close', null],
      ['PC-Covid', 'close', null],
    ]);
    // The pass shows the exposure like any other contact's.
    const status = await currentStatus(svc.db.db, r.an!.person.id, svc.clock.now(), svc.deps.config);
    expect(status.status).toBe('yellow');

    // The same list again (e.g. a retried upload): nothing new, no second alert.
    const again = await importCsv(LIST);
    expect(again.json()).toMatchObject({ matchedLines: 2, contactsCreated: 0, alreadyImported: 2, alertsQueued: 0 });
    const alerts = await svc.db.db.query.outbox.findMany({
      where: and(eq(outbox.kind, 'alert'), inArray(outbox.accountId, [r.an!.account.id, r.binh!.account.id])),
    });
    expect(alerts).toHaveLength(2);
    const audits = await svc.db.db.query.auditLog.findMany({ where: eq(auditLog.action, 'exposure.import') });
    expect(audits).toHaveLength(2);
  });

  it('refuses a list without the header and a body that is no CSV', async () => {
    const res = await importCsv('0912345001,2021-08-03T19:30:00+07:00,Chợ,PC-Covid');
    expect(res.json().errors[0]).toMatchObject({ line: 1, code: 'HEADER_INVALID' });
    const json = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/exposures/import',
      headers: adminHeaders,
      payload: { a: 1 },
    });
    expect(json.statusCode).toBe(415);
    const anon = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/exposures/import',
      headers: { 'content-type': 'text/csv' },
      payload: LIST,
    });
    expect(anon.statusCode).toBe(401);
  });
});

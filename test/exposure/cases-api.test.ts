import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { auditLog, cases, contacts, outbox } from '../../src/db/schema/index.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';
import { RecordingSender, seedAccount, seedPerson, seedResident, seedVenue, seedVisit, vn } from './fixtures.js';

/**
 * The case API end to end on the real service with its outbox worker running: residents' visits are seeded
 * as the check-in feature writes them; alerts leave through an in-process Telegram sender that records them.
 */
const DAY = '2021-08-04';
let svc: TestService;
let sender: RecordingSender;
const people: Record<string, { accountId: string; externalId: string; personId: string }> = {};
let cafe: { id: string };
let restaurant: { id: string };

const post = (url: string, payload: unknown, headers: Record<string, string> = adminHeaders) =>
  svc.app.inject({ method: 'POST', url, payload: payload as object, headers });

beforeAll(async () => {
  svc = await startTestService({ clock: new ManualClock('2021-08-05T12:00:00+07:00'), workers: true });
  sender = new RecordingSender('telegram');
  svc.deps.channels.set('telegram', sender);
  svc.deps.tokenResolvers.push(async (t) =>
    t === 'comms-token-0123456789' ? { id: 'comms-1', roles: ['comms'] } : undefined,
  );
  const db = svc.db.db;
  cafe = await seedVenue(db, 'Cà phê Hạnh Phúc', 60);
  const market = await seedVenue(db, 'Chợ Cái Khế', 45);
  restaurant = await seedVenue(db, 'Nhà hàng Sen', 90);

  const add = async (key: string, name: string, opts: { locale?: string; phone?: string } = {}) => {
    const r = await seedResident(db, name, opts);
    people[key] = { accountId: r.account.id, externalId: r.account.externalId, personId: r.person.id };
  };
  await add('case', 'Trần Văn Ca', { phone: '+84912345678' });
  await add('lan', 'Nguyễn Thị Lan');
  await add('minh', 'Minh Pham', { locale: 'en' });
  await add('binh', 'Lê Văn Bình');
  await add('hoa', 'Võ Thị Hoa');
  await add('quang', 'Đỗ Quang');
  await add('tu', 'Phan Tú');
  await add('vy', 'Huỳnh Vy');
  await add('xuan', 'Mai Xuân');
  const caseChild = await seedPerson(db, {
    accountId: people.case!.accountId,
    fullName: 'Trần Bé Con',
    isSelf: false,
    birthYear: 2015,
  });
  const na = await seedPerson(db, {
    accountId: people.binh!.accountId,
    fullName: 'Lê Bé Na',
    isSelf: false,
    birthYear: 2016,
  });
  people.caseChild = { ...people.case!, personId: caseChild.id };
  people.na = { ...people.binh!, personId: na.id };

  const visit = async (who: string, venueId: string, from: string, to: string | null, day = DAY) =>
    seedVisit(db, {
      personId: people[who]!.personId,
      accountId: people[who]!.accountId,
      venueId,
      enteredAt: vn(day, from),
      exitedAt: to ? vn(day, to) : null,
    });
  // The case: café 10:00–11:00 and market 14:00–14:30 (window café 09:00–12:00, market 13:00–15:30).
  await visit('case', cafe.id, '10:00', '11:00');
  await visit('case', market.id, '14:00', '14:30');
  await visit('case', cafe.id, '10:00', '11:00', '2021-07-30'); // before the infectious window
  await visit('caseChild', cafe.id, '10:00', '11:00'); // household: with the case
  await visit('lan', cafe.id, '10:30', '11:30'); // close, 30 min
  await visit('minh', cafe.id, '11:30', null); // casual, after the case left, no exit
  await visit('binh', cafe.id, '10:50', '11:20'); // casual, 10 min
  await visit('na', cafe.id, '10:00', '11:00'); // close, checked in by Bình
  await visit('hoa', cafe.id, '13:30', '14:00'); // after the window: nobody
  await visit('lan', market.id, '16:20', '17:00'); // Quang's case below
  await visit('quang', market.id, '16:00', '16:30');
  await visit('tu', restaurant.id, '18:00', '19:00');
  await visit('vy', restaurant.id, '18:50', '20:00');
  await visit('xuan', restaurant.id, '20:00', '20:20');
});
afterAll(() => svc?.close());

let caseId = '';

describe('POST /api/v1/cases', () => {
  it('records a case by phone, matches its visits and queues one alert per account, which leave at once', async () => {
    const r = await post('/api/v1/cases', {
      phone: '0912 345 678',
      onsetAt: '2021-08-04T08:00:00+07:00',
      note: 'F0 tại phường Tân An',
    });
    expect(r.statusCode).toBe(201);
    const body = r.json();
    caseId = body.id;
    expect(body).toMatchObject({
      personFound: true,
      existing: false,
      exposureWindows: 2,
      contacts: 5,
      alertsQueued: 3,
    });
    expect(body.infectiousFrom).toBe('2021-08-02T01:00:00.000Z');

    // The clock stands still, so the dispatcher's poll never comes round: only the wake on commit sends them.
    await until(() => sender.sent.length >= 3);
    expect(sender.sent.map((s) => s.externalId).sort()).toEqual(
      [people.lan!.externalId, people.minh!.externalId, people.binh!.externalId].sort(),
    );

    const lan = sender.to(people.lan!.externalId)[0]!.messages[0]!;
    expect(lan.text).toContain('Cảnh báo: có mặt cùng địa điểm và thời gian');
    expect(lan.text).toContain('• Cà phê Hạnh Phúc: 10:30 – 11:30 04/08/2021 (ở gần ca bệnh)');
    expect(lan.text).toContain('vui lòng ở nhà');
    expect(lan.text).toContain('Đường dây nóng: 1900 9095');
    expect(lan.buttons).toEqual([
      [
        { label: 'Tôi đã biết', payload: `ack:${caseId}` },
        { label: 'Khai báo lại', payload: `redeclare:${caseId}` },
      ],
    ]);

    const minh = sender.to(people.minh!.externalId)[0]!.messages[0]!;
    expect(minh.text).toContain('you were at the same place and time as a COVID-19 case');
    expect(minh.text).toContain('Cà phê Hạnh Phúc: 11:30 – 12:00 04/08/2021 (same place)');
    expect(minh.text).toContain('watch your health');
    expect(minh.text).not.toContain('isolate');
    expect(minh.buttons?.[0]?.map((b) => b.label)).toEqual(['Got it', 'Declare again']);

    // Bình's one alert covers his daughter, checked in by him.
    const binh = sender.to(people.binh!.externalId)[0]!.messages[0]!.text!;
    expect(binh).toContain('• Lê Bé Na — Cà phê Hạnh Phúc: 10:00 – 11:00 04/08/2021 (ở gần ca bệnh)');
    expect(binh).toContain('• Cà phê Hạnh Phúc: 10:50 – 11:20 04/08/2021 (cùng địa điểm)');
    expect(binh).toContain('vui lòng ở nhà');
    expect(binh).toContain('theo dõi sức khỏe');
  });

  it('lists the contacts, household included, and records the read', async () => {
    const r = await svc.app.inject({ url: `/api/v1/cases/${caseId}/contacts`, headers: adminHeaders });
    expect(r.statusCode).toBe(200);
    const list = r.json().contacts as {
      personId: string;
      kind: string;
      household: boolean;
      overlapMinutes: number;
      venueName: string | null;
      alertedAt: string | null;
    }[];
    const by = Object.fromEntries(list.map((c) => [c.personId, c]));
    expect(list).toHaveLength(5);
    expect(by[people.lan!.personId]).toMatchObject({
      kind: 'close',
      overlapMinutes: 30,
      venueName: 'Cà phê Hạnh Phúc',
      household: false,
    });
    expect(by[people.minh!.personId]).toMatchObject({ kind: 'casual', overlapMinutes: 0 });
    expect(by[people.binh!.personId]).toMatchObject({ kind: 'casual', overlapMinutes: 10 });
    expect(by[people.na!.personId]).toMatchObject({ kind: 'close', overlapMinutes: 60 });
    expect(by[people.caseChild!.personId]).toMatchObject({
      kind: 'close',
      household: true,
      venueName: null,
      alertedAt: null,
    });
    expect(by[people.case!.personId]).toBeUndefined();
    expect(by[people.hoa!.personId]).toBeUndefined();
    expect(by[people.lan!.personId]!.alertedAt).toBeTruthy();
    const reads = await svc.db.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'case.contacts.read'), eq(auditLog.subjectId, caseId)));
    expect(reads).toHaveLength(1);
    expect(reads[0]!.actor).toBe('bootstrap');
  });

  it('registering the same case again alerts nobody twice', async () => {
    const r = await post('/api/v1/cases', { phone: '+84912345678', testedAt: '2021-08-04T15:00:00+07:00' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ id: caseId, existing: true, exposureWindows: 2, contacts: 5, alertsQueued: 0 });
    const open = await svc.db.db
      .select()
      .from(outbox)
      .where(inArray(outbox.status, ['pending', 'sending']));
    expect(open).toEqual([]);
    expect(sender.sent).toHaveLength(3);
    expect(await svc.db.db.select().from(cases)).toHaveLength(1);
  });

  it('records a case by person id; a contact of two cases gets one alert per case', async () => {
    const r = await post('/api/v1/cases', { personId: people.quang!.personId, testedAt: '2021-08-05T09:00:00+07:00' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ personFound: true, exposureWindows: 1, contacts: 1, alertsQueued: 1 });
    // Lan's second alert waits out the per-chat spacing on the clock.
    await until(() => sender.to(people.lan!.externalId).length === 2, { clock: svc.clock as ManualClock });
    expect(sender.to(people.lan!.externalId)[1]!.messages[0]!.text).toContain(
      'Chợ Cái Khế: 16:20 – 17:00 04/08/2021 (cùng địa điểm)',
    );
  });

  it('an unknown phone is recorded and reported as such', async () => {
    const r = await post('/api/v1/cases', { phone: '0987654321' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ personFound: false, exposureWindows: 0, contacts: 0, alertsQueued: 0 });
    const row = await svc.db.db.query.cases.findFirst({ where: eq(cases.id, r.json().id) });
    expect(row).toMatchObject({ personId: null, phone: '+84987654321', createdBy: 'bootstrap' });
  });

  it.each([
    [{ phone: '12345' }, 400, 'INVALID_PHONE'],
    [{ phone: '0912345678', personId: '5b1f8f5e-8a0e-4a43-9c61-0f5d1d3a2b11' }, 400, 'PHONE_OR_PERSON_REQUIRED'],
    [{}, 400, 'PHONE_OR_PERSON_REQUIRED'],
    [{ personId: '5b1f8f5e-8a0e-4a43-9c61-0f5d1d3a2b11' }, 404, 'PERSON_NOT_FOUND'],
    [{ phone: '0912345678', onsetAt: 'yesterday' }, 400, 'VALIDATION_ERROR'],
    [
      { phone: '0912345678', infectiousFrom: '2021-08-05T00:00:00Z', infectiousTo: '2021-08-01T00:00:00Z' },
      400,
      'INVALID_INFECTIOUS_WINDOW',
    ],
  ])('bad input %j → %i %s, nothing recorded', async (payload, status, code) => {
    const before = (await svc.db.db.select().from(cases)).length;
    const r = await post('/api/v1/cases', payload);
    expect(r.statusCode).toBe(status);
    expect(r.json().error.code).toBe(code);
    expect((await svc.db.db.select().from(cases)).length).toBe(before);
  });

  it('401 without a token, 403 for a role that may not', async () => {
    expect((await post('/api/v1/cases', { phone: '0912345678' }, {})).statusCode).toBe(401);
    const r = await post('/api/v1/cases', { phone: '0912345678' }, { authorization: 'Bearer comms-token-0123456789' });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('FORBIDDEN');
    expect((await svc.app.inject({ url: `/api/v1/cases/${caseId}/contacts` })).statusCode).toBe(401);
    expect(
      (await post('/api/v1/exposure-windows', {}, { authorization: 'Bearer comms-token-0123456789' })).statusCode,
    ).toBe(403);
  });
});

describe('POST /api/v1/exposure-windows', () => {
  it('alerts the people in a manual window with the advice given, and a later overlapping window only newcomers', async () => {
    const before = sender.sent.length;
    const r = await post('/api/v1/exposure-windows', {
      venueId: restaurant.id,
      from: '2021-08-04T18:30:00+07:00',
      to: '2021-08-04T19:30:00+07:00',
      advice: 'test',
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ contacts: 2, alertsQueued: 2 });
    await until(() => sender.sent.length === before + 2, { clock: svc.clock as ManualClock });
    const tu = sender.to(people.tu!.externalId)[0]!.messages[0]!;
    expect(tu.text).toContain('Nhà hàng Sen: 18:30 – 19:00 04/08/2021');
    expect(tu.text).toContain('vui lòng ở nhà');
    expect(tu.buttons?.[0]?.[0]?.payload).toBe(`ack:${r.json().id}`);

    const again = await post('/api/v1/exposure-windows', {
      venueId: restaurant.id,
      from: '2021-08-04T19:00:00+07:00',
      to: '2021-08-04T20:30:00+07:00',
      advice: 'monitor',
    });
    expect(again.json()).toMatchObject({ contacts: 1, alertsQueued: 1 });
    await until(() => sender.sent.length === before + 3, { clock: svc.clock as ManualClock });
    expect(sender.to(people.vy!.externalId)).toHaveLength(1);
    expect(sender.to(people.xuan!.externalId)[0]!.messages[0]!.text).toContain('theo dõi sức khỏe');
    const audits = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'exposure_window.create'));
    expect(audits.filter((a) => a.details?.advice)).toHaveLength(2);
  });

  it.each([
    [
      {
        venueId: '5b1f8f5e-8a0e-4a43-9c61-0f5d1d3a2b11',
        from: '2021-08-04T18:00:00Z',
        to: '2021-08-04T19:00:00Z',
        advice: 'test',
      },
      404,
      'VENUE_NOT_FOUND',
    ],
    [
      {
        venueId: '5b1f8f5e-8a0e-4a43-9c61-0f5d1d3a2b11',
        from: '2021-08-04T19:00:00Z',
        to: '2021-08-04T18:00:00Z',
        advice: 'test',
      },
      400,
      'INVALID_WINDOW',
    ],
    [
      {
        venueId: '5b1f8f5e-8a0e-4a43-9c61-0f5d1d3a2b11',
        from: '2021-08-04T18:00:00Z',
        to: '2021-08-04T19:00:00Z',
        advice: 'panic',
      },
      400,
      'VALIDATION_ERROR',
    ],
  ])('bad window %j → %i %s', async (payload, status, code) => {
    const r = await post('/api/v1/exposure-windows', payload);
    expect(r.statusCode).toBe(status);
    expect(r.json().error.code).toBe(code);
  });
});

describe('alert buttons and closing', () => {
  it('"Tôi đã biết" records the acknowledgement for that account', async () => {
    const res = await svc.runner.handle({
      channel: 'telegram',
      accountId: people.binh!.externalId,
      messageId: 'ack-1',
      kind: 'button',
      payload: `ack:${caseId}`,
    });
    expect(res.replies[0]!.text).toContain('Cảm ơn Anh/Chị đã xác nhận');
    const rows = await svc.db.db.select().from(contacts).where(eq(contacts.exposureKey, caseId));
    const acked = rows
      .filter((c) => c.acknowledgedAt)
      .map((c) => c.personId)
      .sort();
    expect(acked).toEqual([people.binh!.personId, people.na!.personId].sort());
    const twice = await svc.runner.handle({
      channel: 'telegram',
      accountId: people.binh!.externalId,
      messageId: 'ack-2',
      kind: 'button',
      payload: `ack:${caseId}`,
    });
    expect(twice.replies[0]!.text).toContain('đã xác nhận cảnh báo này rồi');
  });

  it('"Khai báo lại" says so politely when declarations are not available', async () => {
    const res = await svc.runner.handle({
      channel: 'telegram',
      accountId: people.minh!.externalId,
      messageId: 'redeclare-1',
      kind: 'button',
      payload: `redeclare:${caseId}`,
    });
    expect(res.replies.map((m) => m.text).join('\n')).toMatch(/Health declaration|khai báo/i);
  });

  it('closing a case ends it (once) and is audited', async () => {
    const r = await post(`/api/v1/cases/${caseId}/close`, {});
    expect(r.statusCode).toBe(200);
    const closedAt = r.json().closedAt;
    expect(closedAt).toBe(svc.clock.now().toISOString()); // the clock moved a little while alerts waited their spacing
    expect((await post(`/api/v1/cases/${caseId}/close`, {})).json().closedAt).toBe(closedAt);
    expect((await post('/api/v1/cases/5b1f8f5e-8a0e-4a43-9c61-0f5d1d3a2b11/close', {})).statusCode).toBe(404);
    const actions = (await svc.db.db.select().from(auditLog).where(eq(auditLog.subjectId, caseId)))
      .map((a) => a.action)
      .sort();
    expect(actions).toEqual(['case.close', 'case.contacts.read', 'case.create', 'case.update']);
  });

  it('every alert was delivered once and nothing else was sent', async () => {
    const rows = await svc.db.db.select().from(outbox);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(sender.sent).toHaveLength(rows.length);
    expect(new Set(rows.map((r) => r.dedupeKey)).size).toBe(rows.length);
  });

  it('a new case for the same person after closing is a new case', async () => {
    const acct = await seedAccount(svc.db.db);
    expect(acct.id).toBeTruthy();
    const r = await post('/api/v1/cases', { phone: '0912345678', onsetAt: '2021-08-04T08:00:00+07:00' });
    expect(r.json()).toMatchObject({ existing: false, alertsQueued: 3 });
    expect(r.json().id).not.toBe(caseId);
  });
});

import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, auditLog, persons, venues, type Venue } from '../../src/db/schema/index.js';
import { cardToPrint, revokeCard } from '../../src/features/pass/card.js';
import { issuePass } from '../../src/features/pass/pass-issuer.js';
import {
  decryptNationalId,
  encryptNationalId,
  nationalIdLookupHash,
  parseCccdQr,
} from '../../src/features/people/national-id.js';
import { backfillIdNumberHashes } from '../../src/features/people/store.js';
import { createVenue, setVenueClosed } from '../../src/features/venues/store.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { chat } from './chat-driver.js';
import { doorHelpers } from './door-helpers.js';
import { residentWithDeclaration } from './people-fixtures.js';

/**
 * The scanner page's JSON endpoints (checkin/scanner.ts) without a browser: what each scanned text yields,
 * the CCCD lookup through the keyed hash of encrypted ID numbers, the quick declaration, the owner's setting.
 * The camera itself is exercised in staff-scanner-browser.test.ts.
 */
const clock = new ManualClock('2021-08-01T08:00:00+07:00');
const logLines: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
) as unknown as FastifyBaseLogger;
let svc: TestService;
let shop: Venue;
let staff: string;
let ownerCookie: string;
let n = 0;
const door = doorHelpers(() => svc, 'owner-sc');
const KNOWN = '092180004321';
const UNKNOWN = '092301009876';
const cccd = (num: string, name = 'Nguyễn Thị Lan', dob = '09091980', sex = 'Nữ') =>
  `${num}||${name}|${dob}|${sex}|3 Hòa Bình, Tân An, Ninh Kiều, Cần Thơ|01012022`;

beforeAll(async () => {
  svc = await startTestService({ clock, logger });
  await chat(svc, 'owner-sc').text('/diadiem');
  const owner = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'owner-sc') });
  shop = await createVenue(svc.db.db, { name: 'Nhà thuốc Tây Đô', kind: 'shop', ownerAccountId: owner!.id });
  staff = await door.staffCookie('staff-sc', shop);
  // The owner signs in on their own phone the same way (the scan button of their venue).
  const scan = await chat(svc, 'owner-sc').press(`vn:scan:${shop.id}`);
  const login = await svc.app.inject({ method: 'POST', url: new URL(scan.replies[0]!.link!.url).pathname });
  ownerCookie = String(login.headers['set-cookie']).split(';')[0]!;
}, 60_000);
afterAll(() => svc?.close());

const post = (path: string, body: unknown, cookie = staff) =>
  svc.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', origin: 'https://khaibao.test', ...(cookie ? { cookie } : {}) },
    payload: JSON.stringify(body),
  });
const verdict = async (text: string) => {
  const res = await post('/staff/scan/verdict', { text });
  expect(res.statusCode).toBe(200);
  return res.json() as Record<string, unknown> & { ticket?: string; prefill?: Record<string, unknown> };
};
const resident = (opts: { declared?: boolean; name?: string } = {}) =>
  residentWithDeclaration(svc.db.db, { externalId: `sc-${++n}`, declaredAt: clock.now(), ...opts });

describe('CCCD QR and the ID lookup hash', () => {
  it('reads the card text and nothing else', () => {
    expect(parseCccdQr(`${KNOWN}|361234567|Trần Văn Tư|31121975|Nam|Cần Thơ|01012022`)).toMatchObject({
      number: KNOWN,
      oldNumber: '361234567',
      fullName: 'Trần Văn Tư',
      birthDate: { day: 31, month: 12, year: 1975 },
      gender: 'male',
    });
    expect(parseCccdQr(cccd(KNOWN))?.gender).toBe('female');
    for (const bad of ['hello', `${KNOWN}|`, `12345|x|Name|01011990|Nam|addr|x`, `${KNOWN}||Name|1990|Nam|a|b`])
      expect(parseCccdQr(bad)).toBeUndefined();
  });

  it('hashes with the lookup key: equal numbers meet, another key gives another hash, the number stays encrypted', () => {
    const keys = { dataKey: randomBytes(32), idLookupKey: randomBytes(32) };
    const a = encryptNationalId(keys, KNOWN);
    expect(a.hash).toBe(nationalIdLookupHash(keys.idLookupKey, ' 0921 8000 4321 '.replace(/^ | $/g, '')));
    expect(a.hash).not.toBe(nationalIdLookupHash(randomBytes(32), KNOWN));
    expect(a.hash).not.toContain(KNOWN);
    expect(decryptNationalId(keys.dataKey, a.enc)).toBe(KNOWN);
  });
});

describe('POST /staff/scan/verdict', () => {
  it('needs the staff session', async () => {
    expect((await post('/staff/scan/verdict', { text: 'x' }, '')).statusCode).toBe(401);
    expect((await svc.app.inject({ url: '/staff/scan' })).statusCode).toBe(401);
    const page = await svc.app.inject({ url: '/staff/scan', headers: { cookie: staff } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<script src="/staff/scan/app.js">');
    expect(page.body).not.toContain('id="auto-green"'); // staff, not the owner
    const lib = await svc.app.inject({ url: '/staff/scan/jsqr.js' });
    expect(lib.statusCode).toBe(200);
    expect(lib.body).toContain('jsQR');
  });

  it('a green pass admits with a ticket; a forged one is "not valid", never a colour; other text is not a pass', async () => {
    const r = await resident({ name: 'Đỗ Văn Sơn' });
    const pass = await issuePass(svc.db.db, svc.deps, r.self.id);
    const v = await verdict(pass.url);
    expect(v).toMatchObject({ kind: 'pass', verdict: 'admit', colour: 'green', name: 'Đỗ V. S.', birthYear: 1990 });
    expect(v.ticket).toBeTruthy();
    expect(await verdict(pass.token)).toMatchObject({ verdict: 'admit' }); // the bare token reads too
    const forged = pass.token.slice(0, -3) + (pass.token.endsWith('AAA') ? 'BBB' : 'AAA');
    const f = await verdict(`https://khaibao.test/v/${forged}`);
    expect(f).toMatchObject({ verdict: 'invalid', colour: 'invalid' });
    expect(f.ticket).toBeUndefined();
    expect(await verdict('https://example.com/menu')).toMatchObject({ verdict: 'unreadable', colour: 'invalid' });
  });

  it('a printed card reads with the colour of today; once revoked it is "not valid", never a colour', async () => {
    const r = await residentWithDeclaration(svc.db.db, {
      externalId: `sc-${++n}`,
      declaredAt: clock.now(),
      family: ['Bà Tư'],
    });
    const member = r.family[0]!;
    const card = await cardToPrint(svc.db.db, svc.deps, member.id, r.accountId);
    expect(await verdict(card.url)).toMatchObject({ kind: 'card', verdict: 'admit', colour: 'green', name: 'Bà T.' });
    await revokeCard(svc.db.db, svc.deps, member.id, r.accountId);
    const v = await verdict(card.url);
    expect(v).toMatchObject({ kind: 'card', verdict: 'invalid', colour: 'invalid' });
    expect(String(v.body)).toContain('thu hồi');
  });

  it('grey: declare first, nothing to record', async () => {
    const r = await resident({ declared: false });
    const v = await verdict((await issuePass(svc.db.db, svc.deps, r.self.id)).url);
    expect(v).toMatchObject({ verdict: 'declare-first', colour: 'grey' });
    expect(v.ticket).toBeUndefined();
  });

  it('yellow where the venue warns: admitted with the warning in words; the tap records it', async () => {
    const r = await resident();
    await door.declareSymptoms(r.self.id, r.accountId);
    const v = await verdict((await issuePass(svc.db.db, svc.deps, r.self.id)).url);
    expect(v).toMatchObject({ verdict: 'warn', colour: 'yellow', title: 'CHO VÀO KÈM CẢNH BÁO' });
    expect(String(v.body)).toContain('Cảnh báo');
    const rec = await post('/staff/scan/record', { ticket: v.ticket });
    expect(rec.json()).toMatchObject({ verdict: 'warn', recorded: { status: 'created' } });
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
    // A ticket is bound to the staff member who scanned.
    expect((await post('/staff/scan/record', { ticket: v.ticket }, ownerCookie)).statusCode).toBe(403);
  });

  it('a CCCD of a declared person finds them through the keyed hash of the encrypted number', async () => {
    const r = await resident({ name: 'Nguyễn Thị Lan' });
    const enc = encryptNationalId(svc.deps.secrets(), KNOWN);
    await svc.db.db
      .update(persons)
      .set({ idNumberEnc: enc.enc, idNumberLast4: enc.last4, idNumberHash: enc.hash, idKind: 'cccd' })
      .where(eq(persons.id, r.self.id));
    const v = await verdict(cccd(KNOWN));
    expect(v).toMatchObject({ kind: 'cccd', verdict: 'admit', colour: 'green', name: 'Nguyễn T. L.' });
    const looked = await svc.db.db.query.auditLog.findMany({
      where: and(eq(auditLog.action, 'person.id_card_lookup'), eq(auditLog.subjectId, r.self.id)),
    });
    expect(looked).toHaveLength(1);
    const rec = await post('/staff/scan/record', { ticket: v.ticket });
    expect(rec.json()).toMatchObject({ recorded: { status: 'created' } });
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
  });

  it('an unknown CCCD offers the quick declaration, which creates an ownerless person and records the entry', async () => {
    const v = await verdict(cccd(UNKNOWN, 'LÝ VĂN TÁM', '01021960', 'Nam'));
    expect(v).toMatchObject({
      verdict: 'unknown-card',
      colour: 'grey',
      prefill: { fullName: 'Lý Văn Tám', birthDate: '01/02/1960', birthYear: 1960, gender: 'male' },
    });
    expect(JSON.stringify(v)).not.toContain(UNKNOWN);
    const answers = {
      travel: false,
      symptoms: [],
      contactCase: false,
      contactOutbreakArea: false,
      contactSymptoms: false,
    };
    const body = { text: cccd(UNKNOWN, 'LÝ VĂN TÁM', '01021960', 'Nam'), fullName: 'Lý Văn Tám', wardCode: '31117' };
    const ward = await svc.db.db.query.wards.findFirst();
    body.wardCode = ward!.code;
    // Every health question must be answered.
    expect((await post('/staff/scan/declare', { ...body, answers: { travel: false } })).statusCode).toBe(400);
    const res = await post('/staff/scan/declare', { ...body, phone: '0912 345 678', answers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ kind: 'cccd', verdict: 'admit', recorded: { status: 'created' } });
    const made = await svc.db.db.query.persons.findMany({ where: eq(persons.fullName, 'Lý Văn Tám') });
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      ownerAccountId: null,
      birthYear: 1960,
      phone: '+84912345678',
      phoneVerified: false,
      idNumberLast4: '9876',
    });
    expect(decryptNationalId(svc.deps.secrets().dataKey, made[0]!.idNumberEnc!)).toBe(UNKNOWN);
    // Next time the card is known; a repeated declaration adds to the same person.
    expect(await verdict(cccd(UNKNOWN))).toMatchObject({ verdict: 'admit', name: 'Lý V. T.' });
    expect((await post('/staff/scan/declare', { ...body, answers })).statusCode).toBe(200);
    expect(await svc.db.db.query.persons.findMany({ where: eq(persons.fullName, 'Lý Văn Tám') })).toHaveLength(1);
    // The numbers never reach the logs.
    const logged = logLines.join('');
    expect(logged).toContain('staff scanner verdict');
    expect(logged).not.toContain(UNKNOWN);
    expect(logged).not.toContain(KNOWN);
  });
});

describe('auto_record_green', () => {
  it('only the owner changes it; then a green scan is recorded without the tap', async () => {
    expect((await post('/staff/scan/settings', { autoRecordGreen: true })).statusCode).toBe(403);
    const page = await svc.app.inject({ url: '/staff/scan', headers: { cookie: ownerCookie } });
    expect(page.body).toContain('id="auto-green"');
    const res = await post('/staff/scan/settings', { autoRecordGreen: true }, ownerCookie);
    expect(res.json()).toEqual({ autoRecordGreen: true });
    expect((await svc.db.db.query.venues.findFirst({ where: eq(venues.id, shop.id) }))!.autoRecordGreen).toBe(true);
    const r = await resident();
    const v = await verdict((await issuePass(svc.db.db, svc.deps, r.self.id)).url);
    expect(v).toMatchObject({ verdict: 'admit', recorded: { status: 'created' } });
    expect(v.ticket).toBeUndefined();
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
    // Yellow is never recorded without the tap.
    const y = await resident();
    await door.declareSymptoms(y.self.id, y.accountId);
    const vy = await verdict((await issuePass(svc.db.db, svc.deps, y.self.id)).url);
    expect(vy.recorded).toBeUndefined();
    expect(vy.ticket).toBeTruthy();
  });
});

describe('settings by API and old ID numbers', () => {
  it('officials set auto_record_green with PATCH /api/v1/venues/:id, audited', async () => {
    const patch = (payload: Record<string, unknown>) =>
      svc.app.inject({ method: 'PATCH', url: `/api/v1/venues/${shop.id}`, headers: adminHeaders, payload });
    expect((await patch({})).statusCode).toBe(400);
    const res = await patch({ autoRecordGreen: false });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ autoRecordGreen: false, entryPolicy: 'warn' });
    const audits = await svc.db.db.query.auditLog.findMany({
      where: and(eq(auditLog.action, 'venue.auto_record_green.set'), eq(auditLog.subjectId, shop.id)),
    });
    expect(audits.map((a) => (a.details as { via: string }).via)).toEqual(['scanner', 'api']);
  });

  it('ID numbers stored before the hash existed get it, and their card is then recognised', async () => {
    const num = '092170005555';
    const r = await resident({ name: 'Huỳnh Văn Năm' });
    const enc = encryptNationalId(svc.deps.secrets(), num);
    await svc.db.db
      .update(persons)
      .set({ idNumberEnc: enc.enc, idNumberLast4: enc.last4, idNumberHash: null, idKind: 'cccd' })
      .where(eq(persons.id, r.self.id));
    expect(await verdict(cccd(num))).toMatchObject({ verdict: 'unknown-card' });
    expect(await backfillIdNumberHashes(svc.db.db, svc.deps.secrets())).toBeGreaterThanOrEqual(1);
    expect(await backfillIdNumberHashes(svc.db.db, svc.deps.secrets())).toBe(0);
    expect(await verdict(cccd(num))).toMatchObject({ verdict: 'admit', name: 'Huỳnh V. N.' });
  });

  it('a closed venue ends the page and the endpoints at once', async () => {
    await setVenueClosed(svc.db.db, shop.id, clock.now());
    const page = await svc.app.inject({ url: '/staff/scan', headers: { cookie: staff } });
    expect(page.statusCode).toBe(401);
    expect(page.body).toContain('không còn là nhân viên');
    expect((await post('/staff/scan/verdict', { text: cccd(KNOWN) })).statusCode).toBe(403);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, contacts, declarations, exposureWindows, persons, visits } from '../../src/db/schema/index.js';
import { issuePass } from '../../src/features/pass/pass-issuer.js';
import { STATUS_COLOURS } from '../../src/features/pass/pass-image.js';
import { signPassToken } from '../../src/features/pass/token.js';
import { createVenue } from '../../src/features/venues/store.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * Issue 13: the public verify page shows colour, masked name, birth year and validity — never why a pass is
 * yellow (symptoms, contacts, exposure), which stays with the holder and health officials; and a forged or
 * unreadable code must not look like a red pass.
 */
const clock = new ManualClock('2021-08-01T08:00:00+07:00');
let svc: TestService;
let seq = 0;

beforeAll(async () => {
  svc = await startTestService({ clock });
});
afterAll(() => svc.close());

async function person(answers: Partial<typeof declarations.$inferInsert> = {}) {
  const db = svc.db.db;
  const [account] = await db
    .insert(accounts)
    .values({ channel: 'web', externalId: `vp-${++seq}` })
    .returning();
  const [p] = await db
    .insert(persons)
    .values({
      ownerAccountId: account!.id,
      isSelf: true,
      fullName: 'Phạm Thị Thu Hà',
      birthYear: 1978,
      gender: 'female',
      phone: '+84907000111',
    })
    .returning();
  await db.insert(declarations).values({
    personId: p!.id,
    travel: false,
    symptoms: [],
    contactCase: false,
    contactOutbreakArea: false,
    contactSymptoms: false,
    declaredAt: clock.now(),
    ...answers,
  });
  return p!;
}

const REASON_WORDS = [
  /triệu chứng/i,
  /tiếp xúc/i,
  /có mặt tại nơi/i,
  /Lý do/,
  /symptom/i,
  /contact/i,
  /exposure/i,
  /sốt|fever/i,
];

async function pageOf(personId: string, lang = '') {
  const path = new URL((await issuePass(svc.db.db, svc.deps, personId)).url).pathname;
  return svc.app.inject({ url: `${path}${lang}` });
}

describe('verify page without reasons', () => {
  it.each([
    ['symptoms', { symptoms: ['fever', 'cough'] }],
    ['a declared contact', { contactCase: true }],
  ])(
    'yellow by %s: colour, masked name, birth year and validity, no reason, in either language',
    async (_name, answers) => {
      const p = await person(answers);
      for (const lang of ['', '?lang=en']) {
        const res = await pageOf(p.id, lang);
        expect(res.statusCode).toBe(200);
        expect(res.body).toContain('data-status="yellow"');
        expect(res.body).toContain(lang ? 'YELLOW' : 'VÀNG');
        expect(res.body).toContain('Phạm T. T. H.');
        expect(res.body).toContain('1978');
        expect(res.body).toContain('08:00 02/08/2021'); // valid until
        for (const w of REASON_WORDS) expect(res.body, String(w)).not.toMatch(w);
      }
    },
  );

  it('yellow by an exposure alert: no venue, no time, no reason', async () => {
    const p = await person();
    const venue = await createVenue(svc.db.db, { name: 'Karaoke Ánh Trăng', kind: 'bar' });
    const from = new Date(clock.now().getTime() - 2 * 86_400_000);
    const to = new Date(from.getTime() + 3_600_000);
    const [visit] = await svc.db.db
      .insert(visits)
      .values({ personId: p.id, venueId: venue.id, enteredAt: from, exitedAt: to, source: 'poster', channel: 'web' })
      .returning();
    const [w] = await svc.db.db
      .insert(exposureWindows)
      .values({ venueId: venue.id, fromAt: from, toAt: to, advice: 'monitor', createdBy: 'test' })
      .returning();
    await svc.db.db.insert(contacts).values({
      exposureKey: w!.id,
      windowId: w!.id,
      personId: p.id,
      visitId: visit!.id,
      kind: 'close',
      overlapMinutes: 60,
      exposedAt: from,
      alertedAt: clock.now(),
    });
    const res = await pageOf(p.id);
    expect(res.body).toContain('data-status="yellow"');
    expect(res.body).not.toContain('Karaoke Ánh Trăng');
    for (const w of REASON_WORDS) expect(res.body, String(w)).not.toMatch(w);
  });
});

describe('forged or unreadable codes are not red', () => {
  it('a forged token gets a neutral near-black "not valid" page that says nothing about health', async () => {
    const p = await person();
    const forged = signPassToken(
      { personId: p.id, status: 'red', issuedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 3_600_000) },
      generateKeyPairSync('ed25519').privateKey,
    );
    for (const [lang, word] of [
      ['', 'KHÔNG HỢP LỆ'],
      ['?lang=en', 'NOT VALID'],
    ] as const) {
      const res = await svc.app.inject({ url: `/v/${forged}${lang}` });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('data-status="invalid"');
      expect(res.body).toContain(word);
      expect(res.body).not.toMatch(/data-status="(red|grey|yellow|green)"/);
      // The big block's colour is none of the pass colours (the shared stylesheet may use them elsewhere).
      const block = /<section class="status"[^>]*>/.exec(res.body)![0];
      expect(block).toContain('background:#1f2937');
      for (const c of Object.values(STATUS_COLOURS)) expect(block).not.toContain(c.background);
      expect(res.body).not.toMatch(/ĐỎ|\bRED\b|ca bệnh|confirmed case|✕/);
      expect(res.body).toContain(lang ? 'says nothing about the health' : 'không cho biết gì về sức khỏe');
    }
  });

  it('an unreadable code looks the same way', async () => {
    const res = await svc.app.inject({ url: '/v/not-a-pass' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('data-status="invalid"');
    expect(/<section class="status"[^>]*>/.exec(res.body)![0]).not.toContain(STATUS_COLOURS.red.background);
  });
});

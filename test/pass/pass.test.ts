import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { accounts, cases, contacts, declarations, persons } from '../../src/db/schema/index.js';
import { passMessage } from '../../src/features/pass/pass-message.js';
import { currentStatus } from '../../src/features/pass/status.js';
import { signPassToken, verifyPassToken } from '../../src/features/pass/token.js';
import { featureModules } from '../../src/features/index.js';
import { maskName, type VerifyPageExtension } from '../../src/features/pass/verify-page.js';
import { decodeQrPng } from '../helpers/qr.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
let clock: ManualClock;
const HOUR = 3_600_000;

/** The verify page is composed with two extension slots; a test puts its panels in them while it runs. */
let testPanels: VerifyPageExtension[] = [];
const slot =
  (i: number): VerifyPageExtension =>
  async (req, info) =>
    testPanels[i]?.(req, info);

beforeAll(async () => {
  svc = await startTestService({
    features: (deps) => featureModules(deps, { verifyPageExtensions: [slot(0), slot(1)] }),
  });
  clock = svc.clock as ManualClock;
});
afterAll(async () => {
  await svc?.close();
});

let seq = 0;
async function person(opts: { isSelf?: boolean; fullName?: string } = {}) {
  const db = svc.deps.database.db;
  const [account] = await db
    .insert(accounts)
    .values({ channel: 'web', externalId: `web-${++seq}` })
    .returning();
  const [p] = await db
    .insert(persons)
    .values({
      ownerAccountId: account!.id,
      isSelf: opts.isSelf ?? true,
      fullName: opts.fullName ?? 'Nguyễn Văn An',
      birthYear: 1985,
      gender: 'male',
      phone: '+84912345678',
    })
    .returning();
  return { account: account!, person: p! };
}

async function declare(personId: string, answers: Partial<typeof declarations.$inferInsert> = {}, at = clock.now()) {
  await svc.deps.database.db.insert(declarations).values({
    personId,
    travel: false,
    symptoms: [],
    contactCase: false,
    contactOutbreakArea: false,
    contactSymptoms: false,
    declaredAt: at,
    ...answers,
  });
}

async function openCase(personId: string) {
  const now = clock.now();
  const [c] = await svc.deps.database.db
    .insert(cases)
    .values({ personId, infectiousFrom: new Date(now.getTime() - 48 * HOUR), infectiousTo: now, createdBy: 'test' })
    .returning();
  return c!;
}

/** A contact recorded at exposedAt unless told otherwise (alertedAt null: a household contact, never alerted). */
async function exposure(personId: string, exposedAt: Date, times: { alertedAt?: Date; createdAt?: Date } = {}) {
  await svc.deps.database.db.insert(contacts).values({
    exposureKey: `manual-${++seq}`,
    personId,
    kind: 'casual',
    overlapMinutes: 10,
    exposedAt,
    alertedAt: times.alertedAt,
    createdAt: times.createdAt ?? times.alertedAt ?? exposedAt,
  });
}

function tokenOf(png: Buffer): string {
  const url = decodeQrPng(png);
  expect(url.startsWith('https://khaibao.test/v/')).toBe(true);
  return url.slice('https://khaibao.test/v/'.length);
}

const page = (token: string, query = '') => svc.app.inject({ method: 'GET', url: `/v/${token}${query}` });

describe('currentStatus from the database', () => {
  it('is grey without a declaration, green after one, grey again after PASS_VALID_HOURS', async () => {
    const { person: p } = await person();
    const cfg = svc.config;
    expect((await currentStatus(svc.deps.database.db, p.id, clock.now(), cfg)).status).toBe('grey');
    await declare(p.id);
    expect((await currentStatus(svc.deps.database.db, p.id, clock.now(), cfg)).status).toBe('green');
    const later = new Date(clock.now().getTime() + 24 * HOUR);
    const s = await currentStatus(svc.deps.database.db, p.id, later, cfg);
    expect(s).toMatchObject({ status: 'grey', reasons: ['no-declaration'] });
    expect(s.lastDeclaredAt).toEqual(clock.now());
  });

  it('reads the latest declaration only', async () => {
    const { person: p } = await person();
    await declare(p.id, { symptoms: ['fever'] }, new Date(clock.now().getTime() - 3 * HOUR));
    await declare(p.id, {}, new Date(clock.now().getTime() - HOUR));
    expect((await currentStatus(svc.deps.database.db, p.id, clock.now(), svc.config)).status).toBe('green');
    await declare(p.id, { contactOutbreakArea: true });
    expect((await currentStatus(svc.deps.database.db, p.id, clock.now(), svc.config)).reasons).toEqual([
      'contact-declared',
    ]);
  });

  it('is red for an open case and green again once it is closed', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const c = await openCase(p.id);
    expect((await currentStatus(svc.deps.database.db, p.id, clock.now(), svc.config)).status).toBe('red');
    await svc.deps.database.db.update(cases).set({ closedAt: clock.now() }).where(eq(cases.id, c.id));
    expect((await currentStatus(svc.deps.database.db, p.id, clock.now(), svc.config)).status).toBe('green');
  });

  it('counts the 14 yellow days from the alert, not from the exposure', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const day = 24 * HOUR;
    const now = clock.now().getTime();
    // A case registered late: exposed 20 days ago, alerted 2 days ago.
    await exposure(p.id, new Date(now - 20 * day), {
      alertedAt: new Date(now - 2 * day),
      createdAt: new Date(now - 2 * day),
    });
    const s = await currentStatus(svc.deps.database.db, p.id, clock.now(), svc.config);
    expect(s).toMatchObject({ status: 'yellow', reasons: ['exposure'] });
    expect(s.exposureUntil).toEqual(new Date(now + 12 * day));
    // A household contact (never alerted) counts from when it was recorded.
    const { person: q } = await person();
    await declare(q.id);
    await exposure(q.id, new Date(now - 30 * day), { createdAt: new Date(now - 5 * day) });
    expect((await currentStatus(svc.deps.database.db, q.id, clock.now(), svc.config)).exposureUntil).toEqual(
      new Date(now + 9 * day),
    );
  });

  it('is yellow for an exposure alert in the last 14 days only', async () => {
    const { person: p } = await person();
    await declare(p.id);
    await exposure(p.id, new Date(clock.now().getTime() - 15 * 24 * HOUR));
    expect((await currentStatus(svc.deps.database.db, p.id, clock.now(), svc.config)).status).toBe('green');
    await exposure(p.id, new Date(clock.now().getTime() - 13 * 24 * HOUR));
    const s = await currentStatus(svc.deps.database.db, p.id, clock.now(), svc.config);
    expect(s).toMatchObject({ status: 'yellow', reasons: ['exposure'] });
    expect(s.exposureUntil).toEqual(new Date(clock.now().getTime() + 24 * HOUR));
  });

  it("does not mix people's records", async () => {
    const { person: a } = await person();
    const { person: b } = await person();
    await declare(a.id);
    await declare(b.id);
    await openCase(a.id);
    expect((await currentStatus(svc.deps.database.db, b.id, clock.now(), svc.config)).status).toBe('green');
  });
});

describe('the pass message and image', () => {
  it('sends a PNG whose QR opens a verifiable token, with a caption saying colour and validity', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const msg = await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi');
    const png = msg.image!.png;
    const img = PNG.sync.read(png);
    expect([img.width, img.height]).toEqual([640, 920]);
    const token = tokenOf(png);
    const r = verifyPassToken(token, svc.deps.secrets().passPublicKey, clock.now());
    expect(r).toMatchObject({ ok: true, claims: { personId: p.id, status: 'green' } });
    if (!r.ok) throw new Error('unreachable');
    expect(r.claims.expiresAt).toEqual(new Date(clock.now().getTime() + 24 * HOUR));
    // 08:00 +07:00 on 1 Aug 2021 + 24 h, shown in Vietnam time
    expect(msg.text).toBe(
      'Mã QR của Anh/Chị: XANH\nHiệu lực đến 08:00 02/08/2021.\nAnh/Chị gửi /qr để xem lại mã bất cứ lúc nào.',
    );
    console.log(
      `pass PNG (chat): ${png.length} bytes; token: ${token.length} chars; QR text: ${token.length + 23} chars`,
    );
    expect(png.length).toBeLessThan(30_000);
  });

  it('says why a pass is grey, for the holder and for a family member', async () => {
    const { person: p } = await person();
    await declare(p.id, {}, new Date(clock.now().getTime() - 30 * HOUR));
    const msg = await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi');
    expect(msg.text).toContain('Mã QR của Anh/Chị: XÁM');
    expect(msg.text).toContain('Anh/Chị chưa khai báo trong 24 giờ qua nên mã chưa có hiệu lực');
    expect(msg.text).not.toContain('Hiệu lực đến');
    const claims = verifyPassToken(tokenOf(msg.image!.png), svc.deps.secrets().passPublicKey, clock.now());
    expect(claims).toMatchObject({ ok: true, claims: { status: 'grey' } });

    const { person: member } = await person({ isSelf: false, fullName: 'Trần Thị Bích' });
    const en = await passMessage(svc.deps.database.db, svc.deps, member.id, 'en');
    expect(en.text).toContain('QR pass of Trần Thị Bích: GREY');
    expect(en.text).toContain('Send /family to declare for them');
  });

  it('gives the reason and the hotline for yellow and red', async () => {
    const { person: p } = await person();
    await declare(p.id, { symptoms: ['cough'] });
    const yellow = await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi');
    expect(yellow.text).toContain('VÀNG');
    expect(yellow.text).toContain('Lý do: có triệu chứng trong lần khai báo gần nhất.');
    expect(yellow.text).toContain('1900 9095');
    await openCase(p.id);
    const red = await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi');
    expect(red.text).toContain('Mã QR của Anh/Chị: ĐỎ');
    expect(red.text).toContain('ca bệnh xác nhận');
    expect(verifyPassToken(tokenOf(red.image!.png), svc.deps.secrets().passPublicKey, clock.now())).toMatchObject({
      ok: true,
      claims: { status: 'red' },
    });
  });

  it('refuses an unknown person with a code', async () => {
    await expect(
      passMessage(svc.deps.database.db, svc.deps, '00000000-0000-4000-8000-000000000000', 'vi'),
    ).rejects.toMatchObject({
      code: 'PERSON_NOT_FOUND',
    });
  });
});

describe('GET /v/:token', () => {
  it('shows a valid pass: colour, masked name, birth year, declared at, valid until', async () => {
    const { person: p } = await person({ fullName: 'Nguyễn Văn An' });
    await declare(p.id);
    const token = tokenOf((await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi')).image!.png);
    const res = await page(token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('data-status="green"');
    expect(res.body).toContain('<h1>XANH</h1>');
    expect(res.body).toContain('Nguyễn V. A.');
    expect(res.body).not.toContain('Nguyễn Văn An');
    expect(res.body).not.toContain('+84912345678');
    expect(res.body).toContain('1985');
    expect(res.body).toContain('08:00 01/08/2021'); // declared at
    expect(res.body).toContain('08:00 02/08/2021'); // valid until
    expect(res.body).not.toContain('data-changed');
    const en = await page(token, '?lang=en');
    expect(en.body).toContain('<h1>GREEN</h1>');
  });

  it('shows the current status when it changed after issue (a case recorded)', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const token = tokenOf((await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi')).image!.png);
    await openCase(p.id);
    const res = await page(token);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-status="red"');
    expect(res.body).toContain('<h1>ĐỎ</h1>');
    expect(res.body).toContain('data-changed="true"');
    expect(res.body).toContain('với màu XANH, hiện tại là ĐỎ');
  });

  it('refuses a forged token with 403', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const { generateKeyPairSync } = await import('node:crypto');
    const forged = signPassToken(
      { personId: p.id, status: 'green', issuedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + HOUR) },
      generateKeyPairSync('ed25519').privateKey,
    );
    const res = await page(forged);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('data-refusal="bad-signature"');
    expect(res.body).toContain('Mã QR không hợp lệ');
    expect(res.body).not.toContain('Nguyễn');
  });

  it('refuses a tampered token with 403', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const token = tokenOf((await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi')).image!.png);
    const bytes = Buffer.from(token, 'base64url');
    bytes[40] = bytes[40]! ^ 0xff;
    expect((await page(bytes.toString('base64url'))).statusCode).toBe(403);
  });

  it.each([
    ['garbage', 'hello'],
    ['empty', ''],
    ['a path', 'abc/def'],
    ['very long', 'A'.repeat(3000)],
  ])('answers a malformed token (%s) with a 400 page', async (_name, token) => {
    const res = await page(token);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('data-refusal="malformed"');
    expect(res.body).toContain('Không đọc được mã QR');
  });

  it('answers an expired token with a 410 page', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const token = tokenOf((await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi')).image!.png);
    clock.advance(25 * HOUR);
    try {
      const res = await page(token);
      expect(res.statusCode).toBe(410);
      expect(res.body).toContain('data-refusal="expired"');
      expect(res.body).toContain('Mã QR đã hết hạn');
      expect(res.body).toContain('08:00 02/08/2021');
    } finally {
      clock.advance(-25 * HOUR);
    }
  });

  it('answers a valid token of a deleted person with a 404 page', async () => {
    const { account, person: p } = await person();
    await declare(p.id);
    const token = tokenOf((await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi')).image!.png);
    await svc.deps.database.db.delete(accounts).where(eq(accounts.id, account.id));
    const res = await page(token);
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('data-refusal="gone"');
  });

  it('places extension panels under the status block, and survives a failing one', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const token = tokenOf((await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi')).image!.png);
    const seen: string[] = [];
    const panel = async (_req: unknown, info: { personId: string; token: string }) => {
      seen.push(info.personId, info.token);
      return '<form id="staff-panel">Ghi nhận vào</form>';
    };
    const broken = async () => {
      throw new Error('boom');
    };
    testPanels = [broken, panel];
    try {
      const res = await page(token);
      expect(res.statusCode).toBe(200);
      expect(seen).toEqual([p.id, token]);
      const statusAt = res.body.indexOf('class="status"');
      const panelAt = res.body.indexOf('id="staff-panel"');
      const detailsAt = res.body.indexOf('<dl>');
      expect(statusAt).toBeGreaterThan(-1);
      expect(panelAt).toBeGreaterThan(statusAt);
      expect(detailsAt).toBeGreaterThan(panelAt);
      // expired or forged tokens get no panel
      expect((await page('x')).body).not.toContain('staff-panel');
    } finally {
      testPanels = [];
    }
  });
});

describe('offline verification with the published keys', () => {
  it('verifies a pass token with node:crypto and the JWK set alone', async () => {
    const { person: p } = await person();
    await declare(p.id);
    const token = tokenOf((await passMessage(svc.deps.database.db, svc.deps, p.id, 'vi')).image!.png);
    const res = await svc.app.inject({ method: 'GET', url: '/.well-known/khaibao/pass-keys.json' });
    expect(res.statusCode).toBe(200);
    const { keys } = res.json() as { keys: (JsonWebKey & { kid: string; alg: string })[] };
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    // What a third party does, from the layout in the README: 25 payload bytes, 64 signature bytes.
    const bytes = Buffer.from(token, 'base64url');
    const payload = bytes.subarray(0, 25);
    const signature = bytes.subarray(25);
    const ok = keys.some((jwk) => verify(null, payload, createPublicKey({ key: jwk, format: 'jwk' }), signature));
    expect(ok).toBe(true);
    expect(payload[0]! >> 4).toBe(1);
    expect(payload[0]! & 0x0f).toBe(1); // green
    expect(payload.subarray(1, 17).toString('hex')).toBe(p.id.replace(/-/g, ''));
    expect(payload.readUInt32BE(21) * 1000).toBe(clock.now().getTime() + 24 * HOUR);
    const tampered = Buffer.from(payload);
    tampered[0] = (tampered[0]! & 0xf0) | 3;
    expect(keys.some((jwk) => verify(null, tampered, createPublicKey({ key: jwk, format: 'jwk' }), signature))).toBe(
      false,
    );
  });
});

describe('pass texts', () => {
  it('masks names to the family name and initials', () => {
    expect(maskName('Nguyễn Văn An')).toBe('Nguyễn V. A.');
    expect(maskName('  lê   thị  ánh ')).toBe('lê T. Á.');
    expect(maskName('Madonna')).toBe('Madonna');
  });

  it('has the same keys in Vietnamese and English', () => {
    const keys = (lng: string) =>
      Object.keys(JSON.parse(readFileSync(new URL(`../../locales/${lng}/pass.json`, import.meta.url), 'utf8'))).sort();
    expect(keys('en')).toEqual(keys('vi'));
  });
});

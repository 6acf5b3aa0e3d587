import { and, eq } from 'drizzle-orm';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { HandleResult } from '../../src/core/dialog.js';
import { auditLog, cases, declarations, passCards } from '../../src/db/schema/index.js';
import { cardSvg, STATUS_COLOURS } from '../../src/features/pass/pass-image.js';
import { tokenVersion, verifyCardToken, verifyPassToken } from '../../src/features/pass/token.js';
import { chat, payloads, textOf } from '../checkin/chat-driver.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';
import { decodeQrPng } from '../helpers/qr.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * Issue 13, "printed cards that last": the card printed from /giadinh for a family member without a phone carries
 * a card token valid CARD_VALID_DAYS (not the 24-hour pass), no colour (read live when scanned), and can be
 * revoked or reissued; an ended card's page says so, neutrally.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clock = new ManualClock('2021-08-01T08:00:00+07:00');
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ clock, env: { CARD_ISSUER: 'Trạm Y tế phường Cái Khế' } });
});
afterAll(async () => {
  await svc?.close();
});

let n = 0;
async function family() {
  const ext = `card-${++n}`;
  const r = await residentWithDeclaration(svc.db.db, {
    externalId: ext,
    family: ['Trần Thị Bé Na'],
    declaredAt: clock.now(),
  });
  return { ext, accountId: r.accountId, member: r.family[0]! };
}

function cardOf(r: HandleResult): { png: Buffer; path: string; token: string } {
  const png = r.replies.find((m) => m.image)!.image!.png;
  const url = new URL(decodeQrPng(png));
  return { png, path: url.pathname, token: url.pathname.slice(3) };
}

const scan = (path: string) => svc.app.inject({ method: 'GET', url: path });

async function declare(personId: string, accountId: string, symptoms: string[] = []) {
  await svc.db.db.insert(declarations).values({
    personId,
    declaredByAccountId: accountId,
    travel: false,
    symptoms,
    contactCase: false,
    contactOutbreakArea: false,
    contactSymptoms: false,
    declaredAt: clock.now(),
  });
}

describe('printed card from /giadinh', () => {
  it('offers print, reissue and revoke in the member menu', async () => {
    const f = await family();
    const menu = await chat(svc, f.ext).press(`fam:m:${f.member.id}`);
    expect(payloads(menu)).toEqual(
      expect.arrayContaining([`fam:p:${f.member.id}`, `fam:cr:${f.member.id}`, `fam:cv:${f.member.id}`]),
    );
  });

  it('is an A6 PNG with a card token, no colour, and stays valid after 24 hours with the live colour', async () => {
    const f = await family();
    const r = await chat(svc, f.ext).press(`fam:p:${f.member.id}`);
    expect(textOf(r)).toContain('Trần Thị Bé Na');
    expect(textOf(r)).toContain('28/01/2022'); // 180 days after 01/08/2021
    const card = cardOf(r);
    const img = PNG.sync.read(card.png);
    expect([img.width, img.height]).toEqual([1240, 1748]);
    console.log(`printed card PNG (A6): ${card.png.length} bytes`);
    // A card token, not a pass: no status inside, valid 180 days, signed with the pass key.
    expect(tokenVersion(card.token)).toBe(2);
    expect(verifyPassToken(card.token, svc.deps.secrets().passPublicKey, clock.now())).toEqual({
      ok: false,
      reason: 'malformed',
    });
    const claims = verifyCardToken(card.token, svc.deps.secrets().passPublicKey, clock.now());
    expect(claims.ok).toBe(true);
    if (claims.ok) expect(claims.claims.expiresAt.getTime() - claims.claims.issuedAt.getTime()).toBe(180 * DAY);
    // No pass colour anywhere on the card: none of the four status backgrounds appear as pixels.
    const colours = new Set<string>();
    for (let i = 0; i < img.data.length; i += 4) colours.add(`${img.data[i]},${img.data[i + 1]},${img.data[i + 2]}`);
    for (const c of ['27,127,59', '242,183,5', '198,40,40', '107,114,128']) expect(colours.has(c)).toBe(false);
    const row = await svc.db.db.query.passCards.findFirst({ where: eq(passCards.personId, f.member.id) });
    expect(row).toMatchObject({ revokedAt: null, issuedByAccountId: f.accountId });

    const fresh = await scan(card.path);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.body).toContain('data-status="green"');
    expect(fresh.body).toContain('data-card="true"');
    expect(fresh.body).toContain('Trần T. B. N.');

    // Past 24 hours: a pass would be expired; the card is not. Without a new declaration the colour is grey…
    clock.advance(25 * HOUR);
    const later = await scan(card.path);
    expect(later.statusCode).toBe(200);
    expect(later.body).toContain('data-status="grey"');
    // …declared for again, green; a case recorded, red — the paper never changes, the page does.
    await declare(f.member.id, f.accountId);
    expect((await scan(card.path)).body).toContain('data-status="green"');
    await svc.db.db.insert(cases).values({
      personId: f.member.id,
      infectiousFrom: new Date(clock.now().getTime() - 48 * HOUR),
      infectiousTo: clock.now(),
      createdBy: 'test',
    });
    const red = await scan(card.path);
    expect(red.statusCode).toBe(200);
    expect(red.body).toContain('data-status="red"');

    // Printing again prints the same card (same token), not a new one.
    const again = cardOf(await chat(svc, f.ext).press(`fam:p:${f.member.id}`));
    expect(again.token).toBe(card.token);
  });

  it('reissue ends the old card (its page says it was replaced, not red) and the new one works', async () => {
    const f = await family();
    const old = cardOf(await chat(svc, f.ext).press(`fam:p:${f.member.id}`));
    clock.advance(HOUR);
    const r = await chat(svc, f.ext).press(`fam:cr:${f.member.id}`);
    expect(textOf(r)).toContain('Đã cấp lại thẻ in');
    const fresh = cardOf(r);
    expect(fresh.token).not.toBe(old.token);

    const oldPage = await scan(old.path);
    expect(oldPage.statusCode).toBe(410);
    expect(oldPage.body).toContain('data-refusal="card_reissued"');
    expect(oldPage.body).toContain('data-status="invalid"');
    expect(oldPage.body).toContain('Thẻ in đã được thay bằng thẻ mới');
    expect(oldPage.body).not.toMatch(/data-status="(red|yellow|green|grey)"/);
    const newPage = await scan(fresh.path);
    expect(newPage.statusCode).toBe(200);
    expect(newPage.body).toContain('data-status="green"');

    const audits = await svc.db.db.query.auditLog.findMany({
      where: and(eq(auditLog.action, 'card.issued'), eq(auditLog.subjectId, f.member.id)),
    });
    expect(audits.map((a) => a.details?.replaced)).toEqual([0, 1]);
  });

  it('revoke ends the card: its page says revoked; printing again gives a new card', async () => {
    const f = await family();
    const card = cardOf(await chat(svc, f.ext).press(`fam:p:${f.member.id}`));
    const ask = await chat(svc, f.ext).press(`fam:cv:${f.member.id}`);
    expect(payloads(ask)).toContain(`fam:cvy:${f.member.id}`);
    expect((await scan(card.path)).statusCode).toBe(200); // asking changes nothing
    expect(textOf(await chat(svc, f.ext).press(`fam:cvy:${f.member.id}`))).toContain('Đã thu hồi thẻ in');
    const page = await scan(card.path);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('data-refusal="card_revoked"');
    expect(page.body).toContain('Thẻ in đã bị thu hồi');
    expect(page.body).not.toMatch(/data-status="(red|yellow|green|grey)"/);
    // Nothing left to revoke.
    expect(textOf(await chat(svc, f.ext).press(`fam:cvy:${f.member.id}`))).toContain('chưa có thẻ in nào');
    const next = cardOf(await chat(svc, f.ext).press(`fam:p:${f.member.id}`));
    expect(next.token).not.toBe(card.token);
    expect((await scan(next.path)).statusCode).toBe(200);
  });

  it('expires after 180 days', async () => {
    const f = await family();
    const card = cardOf(await chat(svc, f.ext).press(`fam:p:${f.member.id}`));
    clock.advance(179 * DAY);
    expect((await scan(card.path)).statusCode).toBe(200);
    clock.advance(DAY + 1000);
    const page = await scan(card.path);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('data-refusal="card_expired"');
    expect(page.body).toContain('Thẻ in đã hết hạn');
    // Printing now gives a new card: the old one is no longer in force.
    const next = cardOf(await chat(svc, f.ext).press(`fam:p:${f.member.id}`));
    expect(next.token).not.toBe(card.token);
    expect((await scan(next.path)).statusCode).toBe(200);
  });

  it('prints name, birth year, the issuer line and the print date, and no status word or colour', () => {
    const svg = cardSvg({
      fullName: 'Trần Thị Bé Na',
      birthYear: 2015,
      issuer: svc.config.cardIssuer,
      printedAt: new Date('2021-08-03T10:00:00+07:00'),
      expiresAt: new Date('2022-01-30T10:00:00+07:00'),
      url: 'http://localhost:3000/v/x',
      locale: 'vi',
    });
    for (const s of [
      'Trần Thị Bé Na',
      'Năm sinh: 2015',
      'Nơi cấp: Trạm Y tế phường Cái Khế',
      'Ngày in: 03/08/2021',
      'Hiệu lực đến: 30/01/2022',
    ]) {
      expect(svg).toContain(s);
    }
    for (const c of Object.values(STATUS_COLOURS)) expect(svg).not.toContain(c.background);
    for (const w of ['XANH', 'VÀNG', 'ĐỎ', 'XÁM']) expect(svg).not.toContain(`>${w}<`);
  });

  it('another account cannot print, reissue or revoke a member it does not own', async () => {
    const f = await family();
    const other = await family();
    for (const a of ['p', 'cr', 'cvy']) {
      const r = await chat(svc, other.ext).press(`fam:${a}:${f.member.id}`);
      expect(r.replies.some((m) => m.image)).toBe(false);
    }
    expect(await svc.db.db.query.passCards.findMany({ where: eq(passCards.personId, f.member.id) })).toEqual([]);
  });
});

import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, auditLog, type Venue } from '../../src/db/schema/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { decodeQrPng } from '../helpers/qr.js';
import { chat, textOf } from './chat-driver.js';
import { doorHelpers } from './door-helpers.js';
import { residentWithDeclaration } from './people-fixtures.js';

/**
 * Issue 13, "venue owners": the owner's venue card in /diadiem says how many people the door refused and how many
 * it admitted with a warning today (Vietnam time), from the audit rows `entry.refused` and `entry.warned`.
 */
const clock = new ManualClock('2021-08-01T09:00:00+07:00');
let svc: TestService;
let shop: Venue;
const OWNER = 'owner-counts';
const door = doorHelpers(() => svc, OWNER);

beforeAll(async () => {
  svc = await startTestService({ clock });
  await chat(svc, OWNER).text('/diadiem');
  const owner = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, OWNER) });
  // A shop warns about yellow passes by default.
  shop = await createVenue(svc.db.db, { name: 'Tạp hóa Bà Sáu', kind: 'shop', ownerAccountId: owner!.id });
});
afterAll(async () => {
  await svc?.close();
});

let n = 0;
const resident = async () => {
  const ext = `counts-${++n}`;
  return {
    ext,
    ...(await residentWithDeclaration(svc.db.db, { externalId: ext, name: `Lê Văn Số ${n}`, declaredAt: clock.now() })),
  };
};

describe("owner's door counts", () => {
  it("counts today's refused and warned people, self and staff, once per person", async () => {
    // Yesterday: one refusal that must not count today.
    const early = await resident();
    await door.openCase(early.self.id);
    expect(textOf(await chat(svc, early.ext).start(`v_${shop.code}`))).toContain(shop.name);
    clock.advance(24 * 3_600_000);

    const cookie = await door.staffCookie('staff-counts', shop);
    // A red pass tries twice (self) and is scanned once by staff: one person refused.
    const red = await resident();
    await door.declareSymptoms(red.self.id, red.accountId);
    await door.openCase(red.self.id);
    await chat(svc, red.ext).start(`v_${shop.code}`);
    await chat(svc, red.ext).start(`v_${shop.code}`);
    expect(
      (await svc.app.inject({ method: 'GET', url: await door.passPath(red.self.id), headers: { cookie } })).body,
    ).toContain('data-verdict="refuse"');
    expect(await door.visitsOf(red.self.id)).toEqual([]);

    // A yellow pass checks in itself (warned), and presses confirm again (already inside: not a new warned entry).
    const selfYellow = await resident();
    await door.declareSymptoms(selfYellow.self.id, selfYellow.accountId);
    await chat(svc, selfYellow.ext).start(`v_${shop.code}`);
    expect(textOf(await chat(svc, selfYellow.ext).press('cf:ok'))).toContain('VÀNG');
    await chat(svc, selfYellow.ext).start(`v_${shop.code}`);
    // A yellow pass recorded by staff (warned).
    const staffYellow = await resident();
    await door.declareSymptoms(staffYellow.self.id, staffYellow.accountId);
    const recorded = await door.record(cookie, await door.ticket(cookie, staffYellow.self.id));
    expect(recorded.statusCode).toBe(200);
    // A green pass: neither.
    const green = await resident();
    await chat(svc, green.ext).start(`v_${shop.code}`);
    await chat(svc, green.ext).press('cf:ok');
    expect(await door.visitsOf(green.self.id)).toHaveLength(1);

    const warned = await svc.db.db.query.auditLog.findMany({ where: and(eq(auditLog.action, 'entry.warned')) });
    expect(warned.map((w) => [w.subjectId, w.details?.source, w.details?.venueId])).toEqual([
      [selfYellow.self.id, 'self', shop.id],
      [staffYellow.self.id, 'staff', shop.id],
    ]);

    const card = textOf(await chat(svc, OWNER).press(`vn:open:${shop.id}`));
    expect(card).toContain('Tại cửa hôm nay: 1 người bị từ chối, 2 người vào kèm cảnh báo');
    // Staff see the card without the owner's counts.
    expect(textOf(await chat(svc, 'staff-counts').press(`vn:open:${shop.id}`))).not.toContain('Tại cửa hôm nay');
  });

  it('a printed card scanned by staff shows the live verdict and records the entry', async () => {
    const ext = `counts-card-${++n}`;
    const fam = await residentWithDeclaration(svc.db.db, {
      externalId: ext,
      family: ['Võ Thị Tư'],
      declaredAt: clock.now(),
    });
    const member = fam.family[0]!;
    const png = (await chat(svc, ext).press(`fam:p:${member.id}`)).replies.find((m) => m.image)!.image!.png;
    const path = new URL(decodeQrPng(png)).pathname;
    clock.advance(26 * 3_600_000);
    const cookie = await door.staffCookie('staff-card', shop);
    // A day later nobody has declared for her: grey, nothing to record.
    const grey = await svc.app.inject({ method: 'GET', url: path, headers: { cookie } });
    expect(grey.statusCode).toBe(200);
    expect(grey.body).toContain('data-verdict="declare-first"');
    await door.declareSymptoms(member.id, fam.accountId);
    // Declared for, with a symptom: yellow at a shop that warns; the staff page records her.
    const page = await svc.app.inject({ method: 'GET', url: path, headers: { cookie } });
    expect(page.body).toContain('data-status="yellow"');
    const ticket = /name="ticket" value="([^"]+)"/.exec(page.body)![1]!;
    expect((await door.record(cookie, ticket)).statusCode).toBe(200);
    expect((await door.visitsOf(member.id)).map((v) => v.source)).toEqual(['staff']);
    const warned = await svc.db.db.query.auditLog.findMany({
      where: and(eq(auditLog.action, 'entry.warned'), eq(auditLog.subjectId, member.id)),
    });
    expect(warned).toHaveLength(1);
  });
});

import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, dialogStates, outbox, persons, visits } from '../../src/db/schema/index.js';
import { seedVenue } from '../exposure/fixtures.js';
import { FakeZalo, postZaloEvent, zaloEvents } from '../helpers/fake-zalo.js';
import { answerHealthQuestions, type FormDriver } from '../helpers/declaration-form.js';
import { decodeQrPng } from '../helpers/qr.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';

/** The real features (declaration, pass, exposure, outbox) reached through the Zalo adapter and a fake Zalo. */
let fake: FakeZalo;
let svc: TestService;
let clock: ManualClock;
beforeAll(async () => {
  fake = await new FakeZalo().start();
  clock = new ManualClock('2021-08-05T12:00:00+07:00');
  svc = await startTestService({ env: fake.env(), clock, workers: true });
});
afterAll(async () => {
  await svc?.close();
  await fake?.stop();
});

const user = '7000000000000000001';
const mine = () => fake.messages.filter((m) => m.userId === user);
const lastText = () => String(mine().at(-1)?.message.text ?? '');

/** Post an event and wait until the replies stop arriving. */
async function send(event: { timestamp: string } & Record<string, unknown>): Promise<string[]> {
  const before = mine().length;
  expect((await postZaloEvent(svc.app, event)).statusCode).toBe(200);
  return settle(before);
}
async function settle(before: number, timeoutMs = 5000): Promise<string[]> {
  const started = Date.now();
  let seen = -1;
  while (Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 60));
    const n = mine().length;
    if (n > before && n === seen) break;
    seen = n;
  }
  return mine()
    .slice(before)
    .map((m) => String(m.message.text ?? ''));
}
const say = (text: string) => send(zaloEvents.text(user, text));
/** Choose an option by typing its number, as a Zalo user without buttons would. */
async function choose(label: string): Promise<string[]> {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^(\\d+)\\. (?:\\S+ )?${escaped}`, 'm').exec(lastText());
  expect(m, `"${label}" among the options of: ${lastText()}`).not.toBeNull();
  return say(m![1]!);
}

/**
 * The Zalo chat for the declaration-form helpers: the numbered options of the last message, with the payloads
 * the core keeps for typed numbers (dialog_states.menu; menus longer than Zalo's 5 buttons come without buttons).
 */
const zaloForm: FormDriver = {
  offered: async () => {
    const account = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, user)),
    });
    const state = account
      ? await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, account.id) })
      : undefined;
    const labels = new Map([...lastText().matchAll(/^(\d+)\. (?:[☐☑] )?(.+)$/gm)].map((m) => [Number(m[1]), m[2]!]));
    return (state?.menu ?? []).map((payload, i) => ({ label: labels.get(i + 1) ?? '', payload }));
  },
  tap: (label) => choose(label),
  say: (text) => say(text),
};

describe('a resident on Zalo', () => {
  it('follows, consents, declares (phone from the info form) and gets the pass image', async () => {
    await send(zaloEvents.follow(user));
    await choose('Tiếng Việt');
    await choose('Đồng ý');
    expect(lastText()).toContain('Họ và tên');
    await say('Nguyễn Văn An');
    await say('1985');
    await choose('Nam');
    expect(lastText()).toContain('Số điện thoại');
    await send(zaloEvents.submitInfo(user, '84912345678', 'Nguyễn Văn An'));
    await say('092085001234');
    await say('cai khe');
    await choose('Phường Cái Khế');
    await say('12 Trần Văn Khéo');
    await answerHealthQuestions(zaloForm, {
      answers: {
        travel: 'Không',
        symptoms: { tap: 'Không có triệu chứng' },
        contact_case: 'ko',
        contact_area: 'k',
        contact_symptoms: 'khong',
      },
    });
    await choose('2');
    for (const s of ['Nguyễn Văn An', '1985', '0912 345 678', 'CCCD ••••1234', 'Phường Cái Khế'])
      expect(lastText()).toContain(s);
    const out = await choose('Xác nhận');
    expect(out[0]).toContain('Cảm ơn Nguyễn Văn An');

    expect(fake.uploads).toHaveLength(1);
    expect(decodeQrPng(fake.uploads[0]!.bytes)).toMatch(/^https:\/\/khaibao\.test\/v\/.+/);
    const media = mine().at(-1)!.message as { attachment?: { payload?: { template_type?: string } } };
    expect(media.attachment?.payload?.template_type).toBe('media');

    const account = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, user)),
    });
    const me = await svc.db.db.query.persons.findFirst({ where: eq(persons.ownerAccountId, account!.id) });
    expect(me).toMatchObject({ fullName: 'Nguyễn Văn An', phone: '+84912345678', isSelf: true, wardCode: '31117' });
    // From Zalo's user_submit_info: the platform vouched for it (issue 15).
    expect(me).toMatchObject({ phoneVerified: true, phoneSource: 'zalo_submit_info' });
  });

  it('receives an exposure alert through the outbox and acknowledges it by typing its number', async () => {
    const account = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, user)),
    });
    const venue = await seedVenue(svc.db.db, 'Nhà hàng Sen');
    await svc.db.db.insert(visits).values({
      personId: account!.personId!,
      venueId: venue.id,
      accountId: account!.id,
      enteredAt: new Date('2021-08-04T18:00:00+07:00'),
      exitedAt: new Date('2021-08-04T20:00:00+07:00'),
      source: 'poster',
      channel: 'zalo',
    });
    const before = mine().length;
    const r = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/exposure-windows',
      headers: adminHeaders,
      payload: {
        venueId: venue.id,
        from: '2021-08-04T18:30:00+07:00',
        to: '2021-08-04T19:30:00+07:00',
        advice: 'test',
      },
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ contacts: 1, alertsQueued: 1 });
    const alert = (await settle(before)).join('\n');
    expect(alert).toContain('Nhà hàng Sen');
    const reply = await choose('Tôi đã biết');
    expect(reply).toEqual(['Cảm ơn Anh/Chị đã xác nhận. Anh/Chị vui lòng làm theo hướng dẫn và giữ gìn sức khỏe.']);
    const row = await svc.db.db.query.outbox.findFirst({ where: eq(outbox.accountId, account!.id) });
    expect(row!.status).toBe('sent');
  });

  it('outside the interaction window, without a template, the alert is undeliverable with the reason', async () => {
    clock.advanceMinutes(60 * 24 * 8);
    const account = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, user)),
    });
    const venue = await seedVenue(svc.db.db, 'Chợ Tân An');
    const at = clock.now().getTime() - 3 * 3_600_000;
    await svc.db.db.insert(visits).values({
      personId: account!.personId!,
      venueId: venue.id,
      accountId: account!.id,
      enteredAt: new Date(at),
      exitedAt: new Date(at + 3_600_000),
      source: 'poster',
      channel: 'zalo',
    });
    const before = fake.calls.length;
    const r = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/exposure-windows',
      headers: adminHeaders,
      payload: {
        venueId: venue.id,
        from: new Date(at).toISOString(),
        to: new Date(at + 3_600_000).toISOString(),
        advice: 'monitor',
      },
    });
    expect(r.json()).toMatchObject({ alertsQueued: 1 });
    let rows: (typeof outbox.$inferSelect)[] = [];
    await until(async () => {
      rows = await svc.db.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.accountId, account!.id), eq(outbox.status, 'undeliverable')));
      return rows.length > 0;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.lastError).toMatch(/interaction window.*ZALO_TEMPLATE_ID/);
    expect(fake.calls.slice(before)).toHaveLength(0);
  });
});

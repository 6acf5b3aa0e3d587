import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { accounts, declarations, persons } from '../../src/db/schema/index.js';
import { REDECLARATION_QUESTIONS } from '../../src/features/health-form/questions.js';
import { currentStatus } from '../../src/features/pass/status.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { WebChatClient } from '../web/chat-client.js';

/**
 * The national domestic declaration, complete (issue 15): every symptom of the national form with «Khác» and its
 * text, chronic conditions, nationality, travel to provinces or countries, the legal statement at confirmation,
 * the vaccine doses asked again at re-declaration with one tap for no change — through the real dialog on the
 * web chat. Each new field is checked in the summary, the stored rows, /dulieu and the colour rules, and the
 * number of inputs of a first and a repeat declaration is printed.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc?.close());

const db = () => svc.db.db;

async function consented(): Promise<WebChatClient> {
  const c = new WebChatClient(svc.app);
  await c.start();
  await c.tap('Tiếng Việt');
  await c.tap('Đồng ý');
  c.resetCounts();
  return c;
}

async function personOf(c: WebChatClient) {
  const a = await db().query.accounts.findFirst({
    where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, c.clientId)),
  });
  return db().query.persons.findFirst({ where: eq(persons.id, a!.personId!) });
}

const latestDeclaration = (personId: string) =>
  db().query.declarations.findFirst({
    where: eq(declarations.personId, personId),
    orderBy: [desc(declarations.declaredAt), desc(declarations.id)],
  });

/** Profile answers up to the street, typed as a resident would. */
async function profile(c: WebChatClient, name: string) {
  for (const a of [name, '1980', 'nữ', '0912 000 333', 'bỏ qua', 'cai khe']) await c.say(a);
  await c.tap('Phường Cái Khế');
  await c.say('45 Hòa Bình');
}

describe('the national form', () => {
  let plain: WebChatClient;
  let firstInputs = 0;

  it('a first declaration with nothing to report takes at most 20 inputs and shows the legal statement', async () => {
    plain = await consented();
    await plain.say('/khaibao');
    plain.resetCounts(); // inputs counted from the first answer
    await profile(plain, 'Lê Thị Thu');
    expect(plain.transcript()).toContain('Quốc tịch');
    await plain.tap('Việt Nam');
    expect(plain.transcript()).toContain('bệnh nền');
    for (const label of ['Bệnh tim mạch', 'Huyết áp', 'Tiểu đường', 'Bệnh phổi', 'Bệnh thận', 'Bệnh gan', 'Ung thư'])
      expect(
        plain.last
          .flatMap((r) => r.buttons ?? [])
          .flat()
          .some((b) => b.label.includes(label)),
      ).toBe(true);
    await plain.tap('Không có bệnh nền');
    expect(plain.transcript()).toContain('tỉnh/thành phố khác hoặc nước ngoài');
    await plain.tap('Không');
    const symptomLabels = plain.last
      .flatMap((r) => r.buttons ?? [])
      .flat()
      .map((b) => b.label);
    for (const s of [
      'Sốt',
      'Ho',
      'Khó thở',
      'Đau họng',
      'Viêm phổi',
      'Nôn/buồn nôn',
      'Tiêu chảy',
      'Xuất huyết ngoài da',
      'Nổi ban ngoài da',
      'Mệt mỏi',
      'Mất vị giác/khứu giác',
      'Khác',
    ])
      expect(symptomLabels.some((l) => l.endsWith(` ${s}`))).toBe(true);
    await plain.tap('Không có triệu chứng');
    for (let i = 0; i < 3; i++) await plain.tap('Không');
    await plain.tap('2');
    const summary = plain.transcript();
    expect(summary).toContain('Quốc tịch: Việt Nam');
    expect(summary).toContain('Bệnh nền: Không có');
    expect(summary).toContain('Triệu chứng: Không có');
    expect(summary).toContain('Khai báo thông tin sai sự thật là vi phạm pháp luật Việt Nam');
    await plain.tap('Xác nhận');
    expect(plain.transcript()).toContain('Cảm ơn Lê Thị Thu');
    firstInputs = plain.sent;
    expect(firstInputs).toBeLessThanOrEqual(20);
    const me = (await personOf(plain))!;
    expect(me).toMatchObject({ nationality: 'Việt Nam', chronicConditions: [], chronicOther: null, vaccineDoses: 2 });
    expect(await latestDeclaration(me.id)).toMatchObject({
      nationality: 'Việt Nam',
      chronicConditions: [],
      symptoms: [],
      symptomsOther: null,
      vaccineDoses: 2,
    });
  });

  it('a re-declaration asks the vaccine doses again with one tap for no change, in at most 7 inputs', async () => {
    (svc.clock as ManualClock).advance(24 * 3_600_000);
    await plain.say('/khaibao');
    plain.resetCounts();
    for (let i = 0; i < 1; i++) await plain.tap('Không'); // travel
    await plain.tap('Không có triệu chứng');
    for (let i = 0; i < 3; i++) await plain.tap('Không');
    expect(plain.transcript()).toContain('mấy mũi vắc-xin');
    await plain.tap('Không thay đổi (2)');
    expect(plain.transcript()).toContain('Số mũi vắc-xin: 2');
    expect(plain.transcript()).toContain('vi phạm pháp luật');
    await plain.tap('Xác nhận');
    const repeatInputs = plain.sent;
    console.info(
      `[national form] inputs after /khaibao: first declaration ${firstInputs}, re-declaration with nothing to report ${repeatInputs}`,
    );
    expect(repeatInputs).toBe(REDECLARATION_QUESTIONS.length + 1);
    expect(repeatInputs).toBeLessThanOrEqual(7);
    const me = (await personOf(plain))!;
    expect(await latestDeclaration(me.id)).toMatchObject({ vaccineDoses: 2, nationality: 'Việt Nam' });
    expect(await db().$count(declarations, eq(declarations.personId, me.id))).toBe(2);
  });

  it('every new field reaches the summary, the stored rows, /dulieu and the colour rules', async () => {
    const c = await consented();
    await c.say('/khaibao');
    await profile(c, 'Kim Min Ji');
    await c.say('Hàn Quốc');
    await c.tap('Tiểu đường');
    await c.tap('Khác');
    await c.tap('Xong');
    expect(c.transcript()).toContain('Bệnh nền khác là bệnh gì');
    await c.say('hen suyễn');
    await c.tap('Có');
    await c.say('Campuchia, TP. Hồ Chí Minh');
    await c.tap('Viêm phổi');
    await c.tap('Tiêu chảy');
    await c.tap('Khác');
    await c.tap('Xong');
    expect(c.transcript()).toContain('Triệu chứng khác là gì');
    await c.say('đau đầu');
    for (let i = 0; i < 3; i++) await c.tap('Không');
    await c.tap('Bỏ qua');
    const summary = c.transcript();
    expect(summary).toContain('Quốc tịch: Hàn Quốc');
    expect(summary).toContain('Bệnh nền: Tiểu đường, Khác (hen suyễn)');
    expect(summary).toContain('Đi tỉnh khác/nước ngoài (14 ngày): Có (Campuchia, TP. Hồ Chí Minh)');
    expect(summary).toContain('Triệu chứng: Viêm phổi, Tiêu chảy, Khác (đau đầu)');
    await c.tap('Xác nhận');
    const me = (await personOf(c))!;
    expect(me).toMatchObject({
      nationality: 'Hàn Quốc',
      chronicConditions: ['diabetes', 'other'],
      chronicOther: 'hen suyễn',
    });
    expect(await latestDeclaration(me.id)).toMatchObject({
      nationality: 'Hàn Quốc',
      chronicConditions: ['diabetes', 'other'],
      chronicOther: 'hen suyễn',
      travel: true,
      travelPlaces: 'Campuchia, TP. Hồ Chí Minh',
      symptoms: ['pneumonia', 'diarrhea', 'other'],
      symptomsOther: 'đau đầu',
    });

    await c.say('/dulieu');
    const data = c.transcript();
    expect(data).toContain('Quốc tịch: Hàn Quốc');
    expect(data).toContain('Bệnh nền: Tiểu đường, Khác (hen suyễn)');
    expect(data).toContain('Triệu chứng: Viêm phổi, Tiêu chảy, Khác (đau đầu)');

    // Colour: symptoms (the new ones and «Khác» too) turn the pass yellow, as before.
    const config = svc.deps.config;
    expect((await currentStatus(db(), me.id, svc.clock.now(), config)).status).toBe('yellow');
    // Chronic conditions, nationality and travel do not change the colour: with no symptom it is green.
    (svc.clock as ManualClock).advance(60_000); // one declaration after the other
    await c.say('/khaibao');
    await c.tap('Có');
    await c.say('Campuchia');
    await c.tap('Khác');
    await c.tap('Xong');
    await c.say('đau đầu');
    for (let i = 0; i < 3; i++) await c.tap('Không');
    await c.tap('Không thay đổi');
    await c.tap('Xác nhận');
    expect((await currentStatus(db(), me.id, svc.clock.now(), config)).reasons).toContain('symptoms');
    (svc.clock as ManualClock).advance(60_000); // one declaration after the other
    await c.say('/khaibao');
    await c.tap('Có');
    await c.say('Campuchia');
    await c.tap('Không có triệu chứng');
    for (let i = 0; i < 3; i++) await c.tap('Không');
    await c.tap('Không thay đổi');
    await c.tap('Xác nhận');
    expect(await latestDeclaration(me.id)).toMatchObject({
      chronicConditions: ['diabetes', 'other'],
      symptomsOther: null,
    });
    expect((await currentStatus(db(), me.id, svc.clock.now(), config)).status).toBe('green');
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Feature } from '../../src/core/dialog.js';
import { declarations, visits } from '../../src/db/schema/index.js';
import { checkinModule } from '../../src/features/checkin/index.js';
import { selfPerson } from '../../src/features/people/store.js';
import { venuesModule } from '../../src/features/venues/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { chat, payloads, textOf } from './chat-driver.js';
import { residentWithDeclaration } from './people-fixtures.js';

/**
 * Stands in for the declaration feature's contract: `/khaibao` starts the form, and confirming it ends with
 * `ctx.runStart(resumeStart)`. The real dialog lives on the declaration branch; this checks the check-in side.
 */
const resume: { param?: string } = {};
const declarationStandIn: Feature = {
  name: 'declaration-stand-in',
  commands: [
    { names: ['khaibao'], run: async (ctx) => ctx.reply({ text: 'FORM' }) },
    {
      names: ['xong'],
      run: async (ctx) => {
        const self = await selfPerson(ctx.tx, ctx.account.id);
        await ctx.tx.insert(declarations).values({
          personId: self!.id,
          travel: false,
          contactCase: false,
          contactOutbreakArea: false,
          contactSymptoms: false,
          declaredAt: ctx.deps.clock.now(),
        });
        if (resume.param) await ctx.runStart(resume.param);
      },
    },
  ],
};

let svc: TestService;
const clock = new ManualClock('2021-08-01T08:00:00+07:00');

beforeAll(async () => {
  svc = await startTestService({ clock, features: [venuesModule, checkinModule, { feature: () => declarationStandIn }] });
});
afterAll(() => svc.close());

describe('declaring first, then completing the check-in', () => {
  it('asks for a declaration, and v_<code> afterwards completes the check-in without scanning again', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Nhà thờ Chánh Tòa', kind: 'tourism' });
    // Declared 2 days ago: no longer valid.
    const r = await residentWithDeclaration(svc.db.db, { externalId: 'late-1', declaredAt: new Date('2021-07-30T08:00:00+07:00') });
    const me = chat(svc, 'late-1');
    const first = await me.start(`v_${venue.code}`);
    expect(textOf(first)).toContain('Để check-in tại Nhà thờ Chánh Tòa, Anh/Chị cần khai báo y tế trước');
    expect(textOf(first)).toContain('FORM');
    expect(await svc.db.db.query.visits.findMany({ where: eq(visits.personId, r.self.id) })).toHaveLength(0);

    resume.param = `v_${venue.code}`; // what startDeclaration is given as resumeStart
    clock.advanceMinutes(2);
    const after = await me.text('/xong');
    expect(textOf(after)).toContain('Check-in tại Nhà thờ Chánh Tòa');
    expect(payloads(after)).toContain('cf:ok');
    expect(textOf(await me.press('cf:ok'))).toContain('Đã check-in tại Nhà thờ Chánh Tòa lúc 08:02 01/08/2021');
    expect(await svc.db.db.query.visits.findMany({ where: eq(visits.personId, r.self.id) })).toHaveLength(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { currentStatus } from '../../src/features/pass/status.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { seedResident } from './fixtures.js';

/** One human declared on Telegram and on Zalo with the same phone: a case by that phone makes both passes red. */
let svc: TestService;
let onTelegram: string;
let onZalo: string;

const post = (payload: object) =>
  svc.app.inject({ method: 'POST', url: '/api/v1/cases', headers: adminHeaders, payload });
const status = async (personId: string) =>
  (await currentStatus(svc.db.db, personId, svc.clock.now(), svc.config)).status;

beforeAll(async () => {
  svc = await startTestService({ clock: new ManualClock('2021-08-05T12:00:00+07:00') });
  onTelegram = (await seedResident(svc.db.db, 'Trần Văn Ca', { phone: '+84912345678', channel: 'telegram' })).person.id;
  onZalo = (await seedResident(svc.db.db, 'Trần Văn Ca', { phone: '+84912345678', channel: 'zalo' })).person.id;
});
afterAll(() => svc?.close());

describe('a case found by a phone several persons share', () => {
  let caseId: string;

  it('shows every one of them red while the case is open', async () => {
    const r = await post({ phone: '0912345678', testedAt: '2021-08-05T09:00:00+07:00' });
    expect(r.statusCode).toBe(201);
    caseId = r.json().id;
    expect(await status(onTelegram)).toBe('red');
    expect(await status(onZalo)).toBe('red');
  });

  it('registering by either person id finds the same open case', async () => {
    for (const personId of [onTelegram, onZalo]) {
      const r = await post({ personId, testedAt: '2021-08-05T10:00:00+07:00' });
      expect(r.json()).toMatchObject({ id: caseId, existing: true });
    }
  });

  it('none of them is red once the case is closed', async () => {
    const r = await svc.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/close`, headers: adminHeaders });
    expect(r.statusCode).toBe(200);
    expect(await status(onTelegram)).not.toBe('red');
    expect(await status(onZalo)).not.toBe('red');
  });
});

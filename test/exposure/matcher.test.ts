import { describe, expect, it } from 'vitest';
import {
  classifyVisit,
  infectiousWindow,
  matchContacts,
  windowsFromCaseVisits,
  type CandidateVisit,
} from '../../src/features/exposure/matcher.js';

// All times Vietnam time on 1 August 2021.
const at = (hhmm: string, day = '2021-08-01') => new Date(`${day}T${hhmm}:00+07:00`);
const BUFFER = 60;

describe('infectious window', () => {
  const now = at('12:00', '2021-08-05');
  it.each([
    ['onset: 2 days before onset until now', { onsetAt: at('08:00', '2021-08-03') }, at('08:00', '2021-08-01'), now],
    ['test only: 2 days before the test', { testedAt: at('09:00', '2021-08-04') }, at('09:00', '2021-08-02'), now],
    [
      'onset wins over test',
      { onsetAt: at('08:00', '2021-08-03'), testedAt: at('09:00', '2021-08-04') },
      at('08:00', '2021-08-01'),
      now,
    ],
    [
      'explicit bounds win',
      {
        onsetAt: at('08:00', '2021-08-03'),
        infectiousFrom: at('00:00', '2021-07-30'),
        infectiousTo: at('00:00', '2021-08-04'),
      },
      at('00:00', '2021-07-30'),
      at('00:00', '2021-08-04'),
    ],
    ['no dates: 2 days before now', {}, at('12:00', '2021-08-03'), now],
  ])('%s', (_name, input, from, to) => {
    expect(infectiousWindow(input, now)).toEqual({ from, to });
  });
});

describe('exposure windows from the case visits', () => {
  const infectious = { from: at('09:30'), to: at('18:00') };
  const visit = (id: string, entered: string, exited: string | null, stay = 60) => ({
    visitId: id,
    venueId: 'cafe',
    enteredAt: at(entered),
    exitedAt: exited ? at(exited) : null,
    defaultStayMinutes: stay,
  });

  it.each([
    [
      'a visit inside: presence ± buffer',
      visit('a', '10:00', '11:00'),
      { from: at('09:00'), to: at('12:00'), presence: { from: at('10:00'), to: at('11:00') } },
    ],
    [
      'no exit: the venue default stay',
      visit('b', '10:00', null, 90),
      { from: at('09:00'), to: at('12:30'), presence: { from: at('10:00'), to: at('11:30') } },
    ],
    [
      'clipped to the start of the infectious window',
      visit('c', '09:00', '10:00'),
      { from: at('08:30'), to: at('11:00'), presence: { from: at('09:30'), to: at('10:00') } },
    ],
    [
      'clipped to isolation',
      visit('d', '17:30', '19:00'),
      { from: at('16:30'), to: at('19:00'), presence: { from: at('17:30'), to: at('18:00') } },
    ],
  ])('%s', (_name, v, expected) => {
    expect(windowsFromCaseVisits([v], infectious, BUFFER)).toEqual([
      { venueId: 'cafe', sourceVisitId: v.visitId, ...expected },
    ]);
  });

  it.each([
    ['ended before the case was infectious', visit('e', '08:00', '09:30')],
    ['started after isolation', visit('f', '18:00', '19:00')],
  ])('none when the visit is %s', (_name, v) => {
    expect(windowsFromCaseVisits([v], infectious, BUFFER)).toEqual([]);
  });
});

describe('contacts: who overlapped the case, and how closely', () => {
  // The case was at the café 10:00–11:00 → window 09:00–12:00.
  const [window] = windowsFromCaseVisits(
    [{ visitId: 'case-visit', venueId: 'cafe', enteredAt: at('10:00'), exitedAt: at('11:00'), defaultStayMinutes: 60 }],
    { from: at('00:00'), to: at('23:59') },
    BUFFER,
  );
  const span = (entered: string, exited: string | null, stay = 60) => ({
    enteredAt: at(entered),
    exitedAt: exited ? at(exited) : null,
    defaultStayMinutes: stay,
  });

  it.each([
    ['15 min with the case = close', span('10:45', '11:30'), 'close', 15],
    ['14 min with the case = casual', span('10:46', '11:30'), 'casual', 14],
    ['15 min at the start of the presence = close', span('09:30', '10:15'), 'close', 15],
    [
      '14 min 59 s = casual (whole minutes are not rounded up)',
      { ...span('10:45', '11:30'), enteredAt: new Date(at('10:45').getTime() + 1000) },
      'casual',
      14,
    ],
    ['whole presence = close', span('09:55', '11:05'), 'close', 60],
    ['after the case left, inside the buffer = casual', span('11:30', '12:30'), 'casual', 0],
    ['before the case came, inside the buffer = casual', span('08:00', '09:01'), 'casual', 0],
    ['no exit: entered 10:30 with a 60 min stay = close', span('10:30', null, 60), 'close', 30],
    ['no exit: a 31 min stay reaching 1 min into the buffer = casual', span('08:30', null, 31), 'casual', 0],
  ])('%s', (_name, visit, kind, minutes) => {
    expect(classifyVisit(window!, visit)).toMatchObject({ kind, overlapMinutes: minutes });
  });

  it.each([
    ['leaves exactly when the buffer starts', span('08:00', '09:00')],
    ['arrives exactly when the buffer ends', span('12:00', '12:30')],
    ['no exit: a 30 min stay ending when the buffer starts', span('08:30', null, 30)],
    [
      'the next day',
      { enteredAt: at('10:00', '2021-08-02'), exitedAt: at('11:00', '2021-08-02'), defaultStayMinutes: 60 },
    ],
  ])('not a contact: %s', (_name, visit) => {
    expect(classifyVisit(window!, visit)).toBeUndefined();
  });

  it('reports the span the person shared with the window', () => {
    expect(classifyVisit(window!, span('08:00', '09:30'))?.exposure).toEqual({ from: at('09:00'), to: at('09:30') });
  });
});

describe('matchContacts', () => {
  const infectious = { from: at('00:00'), to: at('23:59') };
  const windows = windowsFromCaseVisits(
    [
      { visitId: 'cv1', venueId: 'cafe', enteredAt: at('10:00'), exitedAt: at('11:00'), defaultStayMinutes: 60 },
      { visitId: 'cv2', venueId: 'market', enteredAt: at('14:00'), exitedAt: at('14:30'), defaultStayMinutes: 45 },
    ],
    infectious,
    BUFFER,
  );
  const v = (
    visitId: string,
    personId: string,
    venueId: string,
    entered: string,
    exited: string | null,
    accountId: string | null = `acc-${personId}`,
  ): CandidateVisit => ({
    visitId,
    personId,
    venueId,
    accountId,
    enteredAt: at(entered),
    exitedAt: exited ? at(exited) : null,
    defaultStayMinutes: 45,
  });

  it('one contact per person, keeping the strongest exposure across venues', () => {
    const contacts = matchContacts(windows, [
      v('x1', 'lan', 'cafe', '11:30', '12:00'), // casual at the café
      v('x2', 'lan', 'market', '14:00', '14:20'), // close at the market
      v('x3', 'minh', 'cafe', '10:50', '11:10'), // casual (10 min)
      v('x4', 'minh', 'cafe', '10:30', null), // close (30 min, no exit)
      v('x5', 'hoa', 'market', '10:00', '11:00'), // at the market, but when the case was at the café
    ]);
    const byPerson = Object.fromEntries(contacts.map((c) => [c.personId, c]));
    expect(Object.keys(byPerson).sort()).toEqual(['lan', 'minh']);
    expect(byPerson.lan).toMatchObject({
      visitId: 'x2',
      venueId: 'market',
      kind: 'close',
      overlapMinutes: 20,
      windowIndex: 1,
    });
    expect(byPerson.minh).toMatchObject({ visitId: 'x4', kind: 'close', overlapMinutes: 30, windowIndex: 0 });
  });

  it("excludes the case's own visits and household", () => {
    const contacts = matchContacts(
      windows,
      [
        v('own', 'case', 'cafe', '10:00', '11:00'),
        v('kid', 'case-child', 'cafe', '10:00', '11:00'),
        v('other', 'an', 'cafe', '10:00', '11:00'),
      ],
      new Set(['case', 'case-child']),
    );
    expect(contacts.map((c) => c.personId)).toEqual(['an']);
  });

  it('family members checked in by a contact keep the account that checked them in', () => {
    const contacts = matchContacts(windows, [
      v('p', 'parent', 'cafe', '10:00', '11:00', 'acc-parent'),
      v('c', 'child', 'cafe', '10:00', '11:00', 'acc-parent'),
    ]);
    expect(contacts.map((c) => [c.personId, c.accountId]).sort()).toEqual([
      ['child', 'acc-parent'],
      ['parent', 'acc-parent'],
    ]);
  });

  it('the same input matched twice gives the same contacts (duplicate registration adds nobody)', () => {
    const visits = [v('a', 'a', 'cafe', '10:00', '10:30'), v('b', 'b', 'market', '15:00', '15:10')];
    expect(matchContacts(windows, visits)).toEqual(matchContacts(windows, visits));
  });
});

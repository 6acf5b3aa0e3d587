import { describe, expect, it } from 'vitest';
import { HEALTH_QUESTIONS, type PassAnswers } from '../../src/features/health-form/questions.js';
import { decideStatus, type StatusFacts, type StatusReason, type PassStatus } from '../../src/features/pass/status.js';

const NOW = new Date('2021-08-01T08:00:00+07:00');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const daysAgo = (d: number) => hoursAgo(d * 24);
/** A declaration answering "no" to every question that can colour the pass, built from the question table. */
const clean = Object.fromEntries(
  HEALTH_QUESTIONS.filter((q) => q.pass).map((q) => [q.column, q.kind === 'multi-choice' ? [] : false]),
) as unknown as PassAnswers;

type Row = [name: string, facts: Partial<StatusFacts>, status: PassStatus, reasons: StatusReason[]];

const rows: Row[] = [
  ['fresh clean declaration', { latestDeclaration: { ...clean, declaredAt: hoursAgo(2) } }, 'green', []],
  ['no declaration ever', {}, 'grey', ['no-declaration']],
  [
    'declaration just inside 24 h',
    { latestDeclaration: { ...clean, declaredAt: new Date(hoursAgo(24).getTime() + 1000) } },
    'green',
    [],
  ],
  [
    'declaration exactly 24 h old',
    { latestDeclaration: { ...clean, declaredAt: hoursAgo(24) } },
    'grey',
    ['no-declaration'],
  ],
  ['declaration 30 h old', { latestDeclaration: { ...clean, declaredAt: hoursAgo(30) } }, 'grey', ['no-declaration']],
  [
    'symptoms declared',
    { latestDeclaration: { ...clean, symptoms: ['fever'], declaredAt: hoursAgo(1) } },
    'yellow',
    ['symptoms'],
  ],
  [
    'contact with a case',
    { latestDeclaration: { ...clean, contactCase: true, declaredAt: hoursAgo(1) } },
    'yellow',
    ['contact-declared'],
  ],
  [
    'contact with an outbreak area',
    { latestDeclaration: { ...clean, contactOutbreakArea: true, declaredAt: hoursAgo(1) } },
    'yellow',
    ['contact-declared'],
  ],
  [
    'contact with someone coughing',
    { latestDeclaration: { ...clean, contactSymptoms: true, declaredAt: hoursAgo(1) } },
    'yellow',
    ['contact-declared'],
  ],
  [
    'symptoms and contact',
    { latestDeclaration: { ...clean, symptoms: ['cough', 'fever'], contactCase: true, declaredAt: hoursAgo(1) } },
    'yellow',
    ['symptoms', 'contact-declared'],
  ],
  [
    'symptoms in an expired declaration',
    { latestDeclaration: { ...clean, symptoms: ['fever'], declaredAt: hoursAgo(25) } },
    'grey',
    ['no-declaration'],
  ],
  [
    'alerted 3 days ago, clean declaration',
    { latestDeclaration: { ...clean, declaredAt: hoursAgo(1) }, lastAlertAt: daysAgo(3) },
    'yellow',
    ['exposure'],
  ],
  [
    'alerted 13.9 days ago',
    { latestDeclaration: { ...clean, declaredAt: hoursAgo(1) }, lastAlertAt: hoursAgo(14 * 24 - 2) },
    'yellow',
    ['exposure'],
  ],
  [
    'alerted 15 days ago is over',
    { latestDeclaration: { ...clean, declaredAt: hoursAgo(1) }, lastAlertAt: daysAgo(15) },
    'green',
    [],
  ],
  ['alert without a declaration stays yellow', { lastAlertAt: daysAgo(2) }, 'yellow', ['exposure', 'no-declaration']],
  [
    'active case beats a clean declaration',
    { latestDeclaration: { ...clean, declaredAt: hoursAgo(1) }, activeCase: true },
    'red',
    ['active-case'],
  ],
  [
    'active case beats symptoms and exposure',
    {
      latestDeclaration: { ...clean, symptoms: ['fever'], declaredAt: hoursAgo(1) },
      activeCase: true,
      lastAlertAt: daysAgo(1),
    },
    'red',
    ['active-case', 'symptoms', 'exposure'],
  ],
  [
    'active case without a declaration is red, not grey',
    { activeCase: true },
    'red',
    ['active-case', 'no-declaration'],
  ],
];

describe('pass status rules', () => {
  it.each(rows)('%s', (_name, facts, status, reasons) => {
    const d = decideStatus({ now: NOW, validHours: 24, activeCase: false, ...facts });
    expect(d.status).toBe(status);
    expect(d.reasons).toEqual(reasons);
  });

  it('gives the declaration validity and the end of the yellow period, 14 days after the alert', () => {
    const d = decideStatus({
      now: NOW,
      validHours: 24,
      activeCase: false,
      latestDeclaration: { ...clean, declaredAt: hoursAgo(2) },
      lastAlertAt: daysAgo(4),
    });
    expect(d.declaredAt).toEqual(hoursAgo(2));
    expect(d.declarationValidUntil).toEqual(new Date(hoursAgo(2).getTime() + 24 * 3_600_000));
    expect(d.exposureUntil).toEqual(new Date(daysAgo(4).getTime() + 14 * 86_400_000));
  });

  it('follows PASS_VALID_HOURS', () => {
    const facts = { now: NOW, activeCase: false, latestDeclaration: { ...clean, declaredAt: hoursAgo(30) } };
    expect(decideStatus({ ...facts, validHours: 24 }).status).toBe('grey');
    expect(decideStatus({ ...facts, validHours: 72 }).status).toBe('green');
  });
});

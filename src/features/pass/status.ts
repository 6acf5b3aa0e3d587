import { sql, type SQL } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { DbOrTx } from '../../db/client.js';
import { columnsOf, optionalRowOf, param, prepared, valueOf, widthOf } from '../../db/prepared.js';
import { casePersons, cases, contacts, declarations, followups } from '../../db/schema/index.js';
import { selfOfAccount } from '../people/store.js';
import { passEffects, type PassAnswers } from '../health-form/questions.js';

export const PASS_STATUSES = ['grey', 'green', 'yellow', 'red'] as const;
export type PassStatus = (typeof PASS_STATUSES)[number];

/**
 * An exposure alert keeps the pass yellow this long, counted from the alert (design: "an exposure alert in the
 * last 14 days"): a case registered days after the visit still gives its contacts 14 yellow days.
 */
export const EXPOSURE_YELLOW_DAYS = 14;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Why a pass has its colour. More than one may apply; `status` is decided by the strongest.
 * - `active-case`: an open confirmed case (red);
 * - `symptoms`: symptoms ticked in the latest declaration (yellow);
 * - `contact-declared`: any of the three contact answers was yes in the latest declaration (yellow);
 *   (which answers give these two is the `pass` column of health-form/questions.ts)
 * - `exposure`: alerted (or recorded as a contact) in the last 14 days (yellow), unless a negative test was
 *   recorded in follow-up after that alert;
 * - `no-declaration`: no declaration within PASS_VALID_HOURS (grey unless an official record says more).
 */
export type StatusReason = 'active-case' | 'symptoms' | 'contact-declared' | 'exposure' | 'no-declaration';

/** What the rules look at; gathered by `currentStatus` from the database, or built by hand in tests. */
export interface StatusFacts {
  now: Date;
  validHours: number;
  /** the latest declaration: its time and the answers that can turn the pass yellow (questions.ts `pass`) */
  latestDeclaration?: { declaredAt: Date } & PassAnswers;
  /** an open case (closedAt null) exists for the person */
  activeCase: boolean;
  /** when the person was last alerted as a contact (`contacts.alertedAt`, else when the contact was recorded) */
  lastAlertAt?: Date;
  /**
   * when a negative test was recorded by a ward official (`followups.negative_at`): an exposure alerted at or
   * before it no longer keeps the pass yellow (the alert stays in the history); a later alert does again
   */
  exposureClearedAt?: Date;
}

export interface StatusDecision {
  status: PassStatus;
  /** every reason that applies, strongest first; empty for green */
  reasons: StatusReason[];
  /** the latest declaration's time, when it is still valid */
  declaredAt?: Date;
  /** when the declaration stops keeping the pass valid (declaredAt + validHours); undefined without one */
  declarationValidUntil?: Date;
  /** until when an exposure keeps the pass yellow */
  exposureUntil?: Date;
}

/**
 * The status rules in one place. Official records outrank the declaration: an open case is red whatever was
 * declared, and an exposure alert is yellow even without a fresh declaration, because a staff member at a door
 * must see them. Otherwise a pass without a declaration in the last `validHours` is grey (unknown), and a
 * fresh declaration is yellow when it reports symptoms or a contact, else green.
 */
export function decideStatus(f: StatusFacts): StatusDecision {
  const now = f.now.getTime();
  const reasons: StatusReason[] = [];
  const d = f.latestDeclaration;
  const declarationValid = !!d && now - d.declaredAt.getTime() < f.validHours * HOUR_MS;

  if (f.activeCase) reasons.push('active-case');
  if (declarationValid) reasons.push(...passEffects(d));
  const exposureUntil = f.lastAlertAt ? new Date(f.lastAlertAt.getTime() + EXPOSURE_YELLOW_DAYS * DAY_MS) : undefined;
  const cleared = !!f.lastAlertAt && !!f.exposureClearedAt && f.exposureClearedAt.getTime() >= f.lastAlertAt.getTime();
  const exposed = !!exposureUntil && exposureUntil.getTime() > now && !cleared;
  if (exposed) reasons.push('exposure');
  if (!declarationValid) reasons.push('no-declaration');

  const status: PassStatus = f.activeCase
    ? 'red'
    : reasons.some((r) => r === 'symptoms' || r === 'contact-declared' || r === 'exposure')
      ? 'yellow'
      : declarationValid
        ? 'green'
        : 'grey';

  return {
    status,
    reasons,
    declaredAt: declarationValid ? d.declaredAt : undefined,
    declarationValidUntil: declarationValid ? new Date(d.declaredAt.getTime() + f.validHours * HOUR_MS) : undefined,
    exposureUntil: exposed ? exposureUntil : undefined,
  };
}

export interface CurrentStatus extends StatusDecision {
  /** the latest declaration's time even when it has expired (the verify page shows it) */
  lastDeclaredAt?: Date;
}

/** The statement of `statusFacts` for `person` (an id, or a column of an outer query). */
function statusFactsOf(person: SQL): SQL {
  const alertAt = sql`coalesce(${contacts.alertedAt}, ${contacts.createdAt})`;
  return sql`
      select ${columnsOf(declarations, 'd')},
        exists (select 1 from ${cases} where (${cases.personId} = ${person}
                  or ${cases.id} in (select ${casePersons.caseId} from ${casePersons} where ${casePersons.personId} = ${person}))
                and ${cases.closedAt} is null),
        (select max(${alertAt}) from ${contacts}
          where ${contacts.personId} = ${person} and ${alertAt} >= ${param('since')}::timestamptz),
        (select ${followups.negativeAt} from ${followups} where ${followups.personId} = ${person} limit 1)
      from (values (1)) as one (x)
      left join lateral (
        select * from ${declarations} where ${declarations.personId} = ${person}
        order by ${declarations.declaredAt} desc limit 1
      ) d on true`;
}

type Facts = Omit<StatusFacts, 'now' | 'validHours'>;

const factsOf = (offset: number): ((row: unknown[]) => Facts) => {
  const declaration = optionalRowOf(declarations, offset);
  const at = offset + widthOf(declarations);
  return (row) => ({
    latestDeclaration: declaration(row),
    activeCase: Boolean(row[at]),
    lastAlertAt: valueOf(contacts.createdAt, row[at + 1]) ?? undefined,
    exposureClearedAt: valueOf(followups.negativeAt, row[at + 2]) ?? undefined,
  });
};

/**
 * The facts of one person's status in one prepared statement — it runs on every check-in and pass scan: the
 * latest declaration (the whole row: every question's column is there, whichever of them the rules read), an open
 * case under any person the case was found as (not only cases.person_id: one phone, two chat apps), the last
 * exposure alert since `since` (household contacts get no chat alert: the time they were recorded stands for it)
 * and a negative test recorded in follow-up.
 */
const statusFacts = prepared<{ personId: string; since: string }, Facts>(
  'status_facts',
  () => statusFactsOf(sql`${param('personId')}::uuid`),
  factsOf(0),
);

/**
 * The same facts for an account's own person (`selfOfAccount`), with that person's id first: a check-in reads them
 * together with the account's persons, in one round trip, before it knows the person's id.
 */
const selfStatusFacts = prepared<{ accountId: string; since: string }, { personId: string; facts: Facts }>(
  'status_facts_of_self',
  () => sql`select self.id, facts.* from (${selfOfAccount(sql`${param('accountId')}::uuid`)}) self
            cross join lateral (${statusFactsOf(sql`self.id`)}) facts`,
  (() => {
    const facts = factsOf(1);
    return (row: unknown[]) => ({ personId: row[0] as string, facts: facts(row) });
  })(),
);

const sinceFor = (now: Date) => new Date(now.getTime() - EXPOSURE_YELLOW_DAYS * DAY_MS).toISOString();

const statusFrom = (facts: Facts, now: Date, config: Pick<Config, 'passValidHours'>): CurrentStatus => ({
  ...decideStatus({ now, validHours: config.passValidHours, ...facts }),
  lastDeclaredAt: facts.latestDeclaration?.declaredAt,
});

/** What `currentStatusOfSelf` read: the account's own person and their status. */
export interface SelfStatus {
  personId: string;
  status: CurrentStatus;
}

/**
 * The status now of an account's own person (the one `accountPersons` calls `self`), and that person's id; undefined
 * when the account has none. The caller checks the id against the person it goes on to use.
 */
export async function currentStatusOfSelf(
  db: DbOrTx,
  accountId: string,
  now: Date,
  config: Pick<Config, 'passValidHours'>,
): Promise<SelfStatus | undefined> {
  const row = await selfStatusFacts.first(db, { accountId, since: sinceFor(now) });
  return row && { personId: row.personId, status: statusFrom(row.facts, now, config) };
}

/** The person's status now, from `declarations`, `cases`, `contacts` and `followups`. */
export async function currentStatus(
  db: DbOrTx,
  personId: string,
  now: Date,
  config: Pick<Config, 'passValidHours'>,
): Promise<CurrentStatus> {
  return statusFrom((await statusFacts.first(db, { personId, since: sinceFor(now) }))!, now, config);
}

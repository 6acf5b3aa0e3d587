import { and, eq, gte, inArray, isNotNull, isNull, lt, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  casePersons,
  cases,
  contacts,
  declarations,
  exposureWindows,
  passCards,
  persons,
  visits,
} from '../../db/schema/index.js';

const DAY_MS = 86_400_000;

/**
 * How long the health record of someone who asked for deletion is held after their last exposure alert: the
 * exposure follow-up period, the same 14 days an alert keeps the pass yellow (pass/status.ts
 * EXPOSURE_YELLOW_DAYS; a test keeps them equal — pass imports people, so not imported here).
 */
export const FOLLOWUP_HOLD_DAYS = 14;

export interface HeldPerson {
  id: string;
  name: string;
  /** an open case holds until it is closed (and at least until holdUntil) */
  openCase: boolean;
  holdUntil: Date;
}

/**
 * /xoadulieu while a person is an open case or in an exposure follow-up (issue 15). The health department still
 * needs, until that period ends, exactly:
 * - the person row, minimal: name, birth year, gender, phone and ward (to reach them and match a case); the ID
 *   number (and its lookup hash), street, vaccine doses and province are cleared, and the row has no account any
 *   more;
 * - the case link (`cases.person_id`, `case_persons`) of their open cases;
 * - their contacts (alert status) alerted in the last FOLLOWUP_HOLD_DAYS days, and the ward follow-up row;
 * - the visits inside the windows: of an open case, those within its infectious period (and those its exposure
 *   windows were made from); of a held contact, the visit it was found by.
 * Everything else (declarations, other visits and contacts, cards, closed cases' links, the account) goes at once.
 *
 * `hold_until` = the later of now and the last held alert + FOLLOWUP_HOLD_DAYS. The retention job
 * (`purgeHeldPersons`) deletes the person, and with it the rest, at its first run after `hold_until` once no
 * open case names them: an open case holds until it is closed. The hold never keeps a row longer than the
 * ordinary retention periods (visits 21 days, contacts 28) would.
 *
 * Returns the persons held (the caller deletes the others with the account).
 */
export async function holdHealthRecords(db: DbOrTx, accountId: string, now: Date): Promise<HeldPerson[]> {
  const owned = await db
    .select({ id: persons.id, name: persons.fullName })
    .from(persons)
    .where(eq(persons.ownerAccountId, accountId));
  const held: HeldPerson[] = [];
  const since = new Date(now.getTime() - FOLLOWUP_HOLD_DAYS * DAY_MS);
  const alertAt = sql<Date>`coalesce(${contacts.alertedAt}, ${contacts.createdAt})`;
  for (const { id, name } of owned) {
    const openCases = await db
      .select({ id: cases.id, from: cases.infectiousFrom, to: cases.infectiousTo })
      .from(cases)
      .where(and(isNull(cases.closedAt), or(eq(cases.personId, id), inArray(cases.id, caseIdsOf(db, id)))));
    const followed = await db
      .select({ id: contacts.id, visitId: contacts.visitId, at: alertAt })
      .from(contacts)
      .where(and(eq(contacts.personId, id), sql`${alertAt} >= ${since.toISOString()}::timestamptz`));
    if (openCases.length === 0 && followed.length === 0) continue;
    const lastAlert = Math.max(0, ...followed.map((c) => new Date(c.at).getTime()));
    const holdUntil = new Date(Math.max(now.getTime(), lastAlert + FOLLOWUP_HOLD_DAYS * DAY_MS));
    held.push({ id, name, openCase: openCases.length > 0, holdUntil });
    await db
      .update(persons)
      .set({
        ownerAccountId: null,
        isSelf: false,
        holdUntil,
        idNumberEnc: null,
        idNumberHash: null,
        idNumberLast4: null,
        idKind: null,
        street: null,
        provinceCode: null,
        vaccineDoses: null,
        phoneSource: null,
        updatedAt: now,
      })
      .where(eq(persons.id, id));

    const openIds = openCases.map((c) => c.id);
    const keptVisits: SQL[] = openCases.map((c) => and(gte(visits.enteredAt, c.from), lte(visits.enteredAt, c.to))!);
    if (openIds.length > 0) {
      keptVisits.push(
        inArray(
          visits.id,
          db
            .select({ id: exposureWindows.sourceVisitId })
            .from(exposureWindows)
            .where(and(inArray(exposureWindows.caseId, openIds), isNotNull(exposureWindows.sourceVisitId))),
        ),
      );
    }
    const contactVisits = followed.flatMap((c) => (c.visitId ? [c.visitId] : []));
    if (contactVisits.length > 0) keptVisits.push(inArray(visits.id, contactVisits));
    await db
      .delete(visits)
      .where(
        keptVisits.length > 0 ? and(eq(visits.personId, id), sql`not (${or(...keptVisits)})`) : eq(visits.personId, id),
      );
    await db.delete(declarations).where(eq(declarations.personId, id));
    await db.delete(passCards).where(eq(passCards.personId, id));
    const keptContacts = followed.map((c) => c.id);
    await db
      .delete(contacts)
      .where(
        keptContacts.length > 0
          ? and(eq(contacts.personId, id), notInArray(contacts.id, keptContacts))
          : eq(contacts.personId, id),
      );
    // Closed cases are no longer followed: their link goes as it would with the person.
    await unlinkCases(db, [id], openIds);
  }
  return held;
}

/** The cases a person was found as (case_persons). */
const caseIdsOf = (db: DbOrTx, personId: string) =>
  db.select({ id: casePersons.caseId }).from(casePersons).where(eq(casePersons.personId, personId));

/** Makes the cases of these persons (but `keep`) anonymous: no person, no phone, no case_persons row. */
async function unlinkCases(db: DbOrTx, personIds: string[], keep: string[] = []): Promise<void> {
  if (personIds.length === 0) return;
  const notKept = keep.length > 0 ? notInArray(cases.id, keep) : undefined;
  await db
    .update(cases)
    .set({ phone: null, personId: null })
    .where(
      and(
        notKept,
        or(
          inArray(cases.personId, personIds),
          inArray(
            cases.id,
            db.select({ id: casePersons.caseId }).from(casePersons).where(inArray(casePersons.personId, personIds)),
          ),
        ),
      ),
    );
  await db
    .delete(casePersons)
    .where(
      and(inArray(casePersons.personId, personIds), keep.length > 0 ? notInArray(casePersons.caseId, keep) : undefined),
    );
}

/**
 * Retention: deletes held persons whose hold has ended (hold_until passed, no open case names them), with their
 * kept visits, contacts and follow-up row (foreign keys cascade); their cases become anonymous. Returns how many.
 */
export async function purgeHeldPersons(db: DbOrTx, now: Date): Promise<number> {
  const due = (
    await db
      .select({ id: persons.id })
      .from(persons)
      .where(and(isNull(persons.ownerAccountId), isNotNull(persons.holdUntil), lt(persons.holdUntil, now)))
  ).map((r) => r.id);
  if (due.length === 0) return 0;
  const open = await db
    .select({ personId: cases.personId, linked: casePersons.personId })
    .from(cases)
    .leftJoin(casePersons, eq(casePersons.caseId, cases.id))
    .where(and(isNull(cases.closedAt), or(inArray(cases.personId, due), inArray(casePersons.personId, due))));
  const stillOpen = new Set(open.flatMap((r) => [r.personId, r.linked]));
  const ids = due.filter((id) => !stillOpen.has(id));
  if (ids.length === 0) return 0;
  await unlinkCases(db, ids);
  const gone = await db.delete(persons).where(inArray(persons.id, ids)).returning({ id: persons.id });
  return gone.length;
}

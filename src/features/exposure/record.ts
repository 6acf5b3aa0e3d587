import { createHash } from 'node:crypto';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Deps } from '../../core/dialog.js';
import { AppError, badRequest, notFound } from '../../core/errors.js';
import type { ChannelName } from '../../core/messages.js';
import type { DbOrTx, Tx } from '../../db/client.js';
import {
  casePersons,
  cases,
  contacts,
  exposureWindows,
  persons,
  venues,
  type Case,
  type Person,
} from '../../db/schema/index.js';
import { enqueue, type OutboxMessage } from '../../outbox/enqueue.js';
import { parsePhone } from '../../core/answer-parsing.js';
import { transportSettings } from '../transport/store.js';
import { wardHotlinesOfPersons } from '../wards/store.js';
import { alertMessage, householdNotice, type AlertLine } from './alert-message.js';
import {
  infectiousWindow,
  matchContacts,
  windowsFromCaseVisits,
  type ContactKind,
  type MatchedContact,
  type WindowSpec,
} from './matcher.js';
import {
  alertAccounts,
  audit,
  candidateVisits,
  caseVisits,
  contactCountsOfCase,
  possibleMatchRows,
  findOpenCase,
  householdMembers,
  householdPersonIds,
  personsAlreadyExposed,
  personsByPhone,
  personsWithOpenCase,
  windowsOfCase,
  type CandidateRow,
} from './store.js';

export interface CaseInput {
  phone?: string;
  personId?: string;
  onsetAt?: Date;
  testedAt?: Date;
  infectiousFrom?: Date;
  infectiousTo?: Date;
  note?: string;
  /**
   * The windows to alert for, as the preview returned them and the official edited them: each of the case's new
   * windows is cut to these spans at its venue (a venue not listed is dropped). Only trims, never widens.
   * Undefined: every window the case's visits give.
   */
  windows?: { venueId: string; from: Date; to: Date }[];
  /** venues whose windows are dropped before alerting (e.g. a market where the case stayed in one stall) */
  excludeVenueIds?: string[];
}

export interface CaseWindowSummary {
  venueId: string;
  venueName: string;
  from: Date;
  to: Date;
  /** contacts found through this window (each person counted at their strongest window) */
  closeContacts: number;
  casualContacts: number;
}

/** A person whose typed (unverified) phone matches the case's: shown to the official, never linked by itself. */
export interface PossibleMatch {
  personId: string;
  fullName: string;
  birthYear: number;
  channel: string;
  phoneSource: string | null;
}

export interface CaseResult {
  id: string;
  /** false: the phone belongs to no one in khaibao; the case is kept (by phone) but matches nothing */
  personFound: boolean;
  /** true: an open case of this person already existed; it was widened and re-matched, nobody alerted twice */
  existing: boolean;
  infectiousFrom: Date;
  infectiousTo: Date;
  /** exposure windows of the case (all of them, also those from an earlier registration) */
  exposureWindows: number;
  /** contacts of the case (venue contacts and household) */
  contacts: number;
  /** alerts queued by this call */
  alertsQueued: number;
  /** every window of the case, with its venue and contact counts (what the preview shows) */
  windows: CaseWindowSummary[];
  closeContacts: number;
  casualContacts: number;
  /** household members of the case (close contacts without a venue; no chat alert) */
  householdContacts: number;
  /** "monitor your health" notices queued for households of close contacts by this call */
  householdNotices: number;
  /** persons with this phone typed by hand (unverified): confirm one by one with POST /api/v1/cases/:id/confirm-person */
  possibleMatches: PossibleMatch[];
}

/** What the exposure use cases read from the service: the time and the buffer and hotline settings. */
export type ExposureDeps = Pick<Deps, 'clock' | 'config'>;

/**
 * Records a confirmed case and alerts its contacts, inside the caller's transaction: the HTTP route opens one,
 * the `/f0` dialog passes its update's, so the case commits together with whatever else the caller writes (or
 * not at all). The caller wakes the outbox after commit when `alertsQueued > 0`, so the first alerts leave
 * within seconds.
 *
 * - The case is found by person id, or by phone: every person with that phone is taken to be the case (the
 *   same human may have declared on Telegram and on Zalo); each is linked in case_persons, so all show red.
 * - The case's own visits become exposure windows; they are never contacts themselves.
 * - The case's household (everyone declared under the same account(s), khai hộ) are close contacts without a
 *   venue (their passes turn yellow); they get no chat alert, because that account is the case's own — health
 *   workers contact the household directly.
 * - Registering an open case again widens its infectious window and re-matches: contacts are unique per
 *   (case, person), and an account is alerted only about persons newly found, so nobody is alerted twice.
 */
export async function recordCase(tx: Tx, deps: ExposureDeps, input: CaseInput, actor: string): Promise<CaseResult> {
  const now = deps.clock.now();
  const infectious = infectiousWindow(input, now);
  if (infectious.to.getTime() <= infectious.from.getTime()) {
    throw badRequest('INVALID_INFECTIOUS_WINDOW', 'The infectious window must end after it starts.');
  }
  let personIds: string[];
  let phone: string | null;
  let unverified: Person[] = [];
  if (input.personId) {
    const person = await tx.query.persons.findFirst({ where: eq(persons.id, input.personId) });
    if (!person) throw notFound('PERSON_NOT_FOUND', 'No person has this id.');
    personIds = [person.id];
    phone = person.phone;
  } else {
    // The declaration's own parser: a number is stored and looked up in one form, whoever typed it.
    const parsed = parsePhone(input.phone ?? '');
    if (!parsed.ok)
      throw badRequest(
        'INVALID_PHONE',
        'The phone number is not a Vietnamese number (e.g. 0912345678 or +84912345678).',
      );
    phone = parsed.value;
    // Only a number the platform vouched for links its owner: anyone can type someone else's number.
    const owners = await personsByPhone(tx, phone);
    personIds = owners.filter((p) => p.phoneVerified).map((p) => p.id);
    unverified = owners.filter((p) => !p.phoneVerified);
  }
  // Two officials recording the same person at once must end with one case.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`case:${personIds[0] ?? phone}`}))`);

  let row: Case;
  const open = await findOpenCase(tx, { personIds, phone });
  if (open) {
    const from = new Date(Math.min(open.infectiousFrom.getTime(), infectious.from.getTime()));
    const to = new Date(Math.max(open.infectiousTo.getTime(), infectious.to.getTime()));
    [row] = (await tx
      .update(cases)
      .set({
        infectiousFrom: from,
        infectiousTo: to,
        onsetAt: open.onsetAt ?? input.onsetAt,
        testedAt: open.testedAt ?? input.testedAt,
      })
      .where(eq(cases.id, open.id))
      .returning()) as [Case];
  } else {
    [row] = (await tx
      .insert(cases)
      .values({
        personId: personIds[0] ?? null,
        phone,
        onsetAt: input.onsetAt,
        testedAt: input.testedAt,
        infectiousFrom: infectious.from,
        infectiousTo: infectious.to,
        note: input.note,
        createdBy: actor,
        createdAt: now,
      })
      .returning()) as [Case];
  }

  if (personIds.length > 0) {
    await tx
      .insert(casePersons)
      .values(personIds.map((personId) => ({ caseId: row.id, personId })))
      .onConflictDoNothing();
  }
  const personFound = personIds.length > 0;
  // Everyone the case was found as (also persons linked earlier, e.g. confirmed possible matches): their visits
  // make windows and neither they nor their households are contacts of their own case.
  personIds = [
    ...new Set([
      ...personIds,
      ...(await tx.select({ id: casePersons.personId }).from(casePersons).where(eq(casePersons.caseId, row.id))).map(
        (r) => r.id,
      ),
    ]),
  ];

  const caseWindow = { from: row.infectiousFrom, to: row.infectiousTo };
  const known = await windowsOfCase(tx, row.id);
  const knownSources = new Set(known.map((w) => w.sourceVisitId));
  const fresh = editWindows(
    windowsFromCaseVisits(
      await caseVisits(tx, personIds, caseWindow),
      caseWindow,
      deps.config.exposureBufferMinutes,
    ).filter((w) => !knownSources.has(w.sourceVisitId)),
    input,
  );
  const inserted =
    fresh.length === 0
      ? []
      : await tx
          .insert(exposureWindows)
          .values(
            fresh.map((w) => ({
              caseId: row.id,
              venueId: w.venueId,
              sourceVisitId: w.sourceVisitId,
              fromAt: w.from,
              toAt: w.to,
              presenceFrom: w.presence.from,
              presenceTo: w.presence.to,
              tripId: w.tripId ?? null,
              seat: w.seat ?? null,
              advice: 'test',
              createdBy: actor,
              createdAt: now,
            })),
          )
          .returning();
  const all = [...known, ...inserted];
  const windows = all.map((w) => ({
    id: w.id,
    venueId: w.venueId,
    from: w.fromAt,
    to: w.toAt,
    presence: { from: w.presenceFrom ?? w.fromAt, to: w.presenceTo ?? w.toAt },
    tripId: w.tripId,
    seat: w.seat,
  }));

  const household = await householdPersonIds(tx, personIds);
  const candidates = await candidateVisits(tx, windows);
  const matched = matchContacts(windows, candidates, new Set([...household, ...personIds]), {
    closeSeatRows: transportSettings(deps.config).closeSeatRows,
  });
  const exposedAt = new Date(Math.min(row.infectiousTo.getTime(), now.getTime()));
  const householdOnly = household.filter((id) => !personIds.includes(id));
  if (householdOnly.length > 0) {
    await tx
      .insert(contacts)
      .values(
        householdOnly.map((personId) => ({
          exposureKey: row.id,
          caseId: row.id,
          personId,
          kind: 'close',
          overlapMinutes: 0,
          exposedAt,
          createdAt: now,
        })),
      )
      .onConflictDoNothing();
  }
  const sent = await saveContactsAndAlert(tx, deps, {
    exposureKey: row.id,
    caseId: row.id,
    windowIds: windows.map((w) => w.id),
    matched,
    candidates,
    adviceFor: (c) => c.kind,
    now,
  });
  const alertsQueued = sent.alerts;
  const counts = await contactCountsOfCase(tx, row.id);
  const n = counts.reduce((sum, c) => sum + c.n, 0);
  const venueNames = new Map(
    (
      await tx
        .select({ id: venues.id, name: venues.name })
        .from(venues)
        .where(inArray(venues.id, [...new Set(all.map((w) => w.venueId)), NO_ID]))
    ).map((v) => [v.id, v.name]),
  );
  const count = (windowId: string | null, kind: string) =>
    counts.filter((c) => c.windowId === windowId && c.kind === kind).reduce((sum, c) => sum + c.n, 0);
  const linked = new Set(personIds);
  const possibleMatches = await possibleMatchRows(
    tx,
    unverified.filter((p) => !linked.has(p.id)),
  );

  await audit(tx, [
    {
      actor,
      action: open ? 'case.update' : 'case.create',
      subjectType: 'case',
      subjectId: row.id,
      details: { personIds, personFound, windows: all.length, contacts: n, alertsQueued },
    },
    ...inserted.map((w) => ({
      actor,
      action: 'exposure_window.create',
      subjectType: 'exposure_window',
      subjectId: w.id,
      details: { caseId: row.id, venueId: w.venueId, from: w.fromAt.toISOString(), to: w.toAt.toISOString() },
    })),
  ]);
  return {
    id: row.id,
    personFound,
    existing: !!open,
    infectiousFrom: row.infectiousFrom,
    infectiousTo: row.infectiousTo,
    exposureWindows: all.length,
    contacts: n,
    alertsQueued,
    windows: all
      .map((w) => ({
        venueId: w.venueId,
        venueName: venueNames.get(w.venueId) ?? '',
        from: w.fromAt,
        to: w.toAt,
        closeContacts: count(w.id, 'close'),
        casualContacts: count(w.id, 'casual'),
      }))
      .sort((a, b) => a.from.getTime() - b.from.getTime()),
    closeContacts: counts.filter((c) => c.windowId !== null && c.kind === 'close').reduce((sum, c) => sum + c.n, 0),
    casualContacts: counts.filter((c) => c.windowId !== null && c.kind === 'casual').reduce((sum, c) => sum + c.n, 0),
    householdContacts: counts.filter((c) => c.windowId === null).reduce((sum, c) => sum + c.n, 0),
    householdNotices: sent.householdNotices,
    possibleMatches,
  };
}

const NO_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The official's edits to the case's new windows: venues excluded, and each window cut to the spans given for
 * its venue (a venue with no span given is dropped). The case's presence is cut the same way, so a trimmed
 * window measures closeness only against the time left in it.
 */
export function editWindows(fresh: WindowSpec[], edits: Pick<CaseInput, 'windows' | 'excludeVenueIds'>): WindowSpec[] {
  const excluded = new Set(edits.excludeVenueIds ?? []);
  const kept = fresh.filter((w) => !excluded.has(w.venueId));
  if (!edits.windows) return kept;
  const out: WindowSpec[] = [];
  for (const w of kept) {
    for (const e of edits.windows) {
      if (e.venueId !== w.venueId) continue;
      const from = new Date(Math.max(w.from.getTime(), e.from.getTime()));
      const to = new Date(Math.min(w.to.getTime(), e.to.getTime()));
      if (to.getTime() <= from.getTime()) continue;
      const pFrom = new Date(Math.max(w.presence.from.getTime(), from.getTime()));
      const pTo = new Date(Math.min(w.presence.to.getTime(), to.getTime()));
      out.push({
        ...w,
        from,
        to,
        presence: pTo.getTime() > pFrom.getTime() ? { from: pFrom, to: pTo } : { from, to: from },
      });
    }
  }
  return out;
}

/** Thrown inside the preview's transaction so everything recordCase wrote is rolled back. */
class PreviewRollback extends Error {
  constructor(readonly result: CaseResult) {
    super('case preview rolled back');
  }
}

/**
 * The preview (`"dryRun": true`, the chat's «Gửi cảnh báo» screen): runs recordCase itself in a transaction
 * that is always rolled back, so the numbers are exactly what the real send would do now, and nothing is stored
 * or queued. `id` is the id the case would have had (meaningless after the rollback). Recorded in the audit log
 * as a read (`case.preview`, ids and counts only): the official saw who was where, though nothing changed.
 */
export async function previewCase(
  db: DbOrTx,
  deps: ExposureDeps,
  input: CaseInput,
  actor: string,
): Promise<CaseResult> {
  let result: CaseResult | undefined;
  try {
    await db.transaction(async (tx) => {
      throw new PreviewRollback(await recordCase(tx, deps, input, actor));
    });
  } catch (err) {
    if (!(err instanceof PreviewRollback)) throw err;
    result = err.result;
  }
  if (!result) throw new AppError('INTERNAL', 'preview returned nothing', 500);
  await audit(db, [
    {
      actor,
      action: 'case.preview',
      subjectType: 'case',
      subjectId: result.id,
      details: {
        windows: result.exposureWindows,
        contacts: result.contacts,
        alerts: result.alertsQueued,
        possibleMatches: result.possibleMatches.length,
      },
    },
  ]);
  return result;
}

/**
 * The official confirms that a possible match (a typed phone) is the case: the person is linked, their visits
 * become windows and their contacts are alerted, like a verified owner. In the caller's transaction.
 */
export async function confirmCasePerson(
  tx: Tx,
  deps: ExposureDeps,
  caseId: string,
  personId: string,
  actor: string,
): Promise<CaseResult> {
  const c = await tx.query.cases.findFirst({ where: eq(cases.id, caseId) });
  if (!c) throw notFound('CASE_NOT_FOUND', 'No case has this id.');
  if (c.closedAt) throw new AppError('CASE_CLOSED', 'The case is closed.', 409);
  const person = await tx.query.persons.findFirst({ where: eq(persons.id, personId) });
  if (!person) throw notFound('PERSON_NOT_FOUND', 'No person has this id.');
  if (!c.phone || person.phone !== c.phone)
    throw new AppError('NOT_A_POSSIBLE_MATCH', "The person's phone is not the case's phone.", 409);
  await tx.insert(casePersons).values({ caseId: c.id, personId }).onConflictDoNothing();
  if (!c.personId) await tx.update(cases).set({ personId }).where(eq(cases.id, c.id));
  await audit(tx, [
    { actor, action: 'case.confirm_person', subjectType: 'case', subjectId: c.id, details: { personId } },
  ]);
  return recordCase(tx, deps, { personId, infectiousFrom: c.infectiousFrom, infectiousTo: c.infectiousTo }, actor);
}

export interface WindowInput {
  venueId: string;
  from: Date;
  to: Date;
  advice: 'monitor' | 'test';
}

export interface WindowResult {
  id: string;
  contacts: number;
  alertsQueued: number;
}

/**
 * An exposure window an official enters by hand (a case that did not check in). Goes through the same matcher,
 * with the window itself as the case's presence; the advice given applies to everyone alerted. People already
 * alerted for an overlapping window at this venue (or for the same visit) are not alerted again, nor are open
 * cases themselves. Runs in the caller's transaction; the caller wakes the outbox after commit.
 */
export async function recordManualWindow(
  tx: Tx,
  deps: ExposureDeps,
  input: WindowInput,
  actor: string,
): Promise<WindowResult> {
  if (input.to.getTime() <= input.from.getTime()) throw badRequest('INVALID_WINDOW', '"to" must be after "from".');
  const now = deps.clock.now();
  const venue = await tx.query.venues.findFirst({ where: eq(venues.id, input.venueId) });
  if (!venue) throw notFound('VENUE_NOT_FOUND', 'No venue has this id.');
  // Overlapping windows entered at once must not both alert the same people.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`window:${venue.id}`}))`);
  const spec: WindowSpec = {
    venueId: venue.id,
    sourceVisitId: null,
    from: input.from,
    to: input.to,
    presence: { from: input.from, to: input.to },
  };
  const candidates = await candidateVisits(tx, [spec]);
  const already = await personsAlreadyExposed(
    tx,
    venue.id,
    spec,
    candidates.map((c) => c.visitId),
  );
  for (const id of await personsWithOpenCase(tx, [...new Set(candidates.map((c) => c.personId))])) already.add(id);
  const [w] = await tx
    .insert(exposureWindows)
    .values({
      venueId: venue.id,
      fromAt: input.from,
      toAt: input.to,
      presenceFrom: input.from,
      presenceTo: input.to,
      advice: input.advice,
      createdBy: actor,
      createdAt: now,
    })
    .returning();
  if (!w) throw new AppError('INTERNAL', 'window insert returned nothing', 500);
  const matched = matchContacts([spec], candidates, already);
  const advice: ContactKind = input.advice === 'test' ? 'close' : 'casual';
  const { alerts: alertsQueued } = await saveContactsAndAlert(tx, deps, {
    exposureKey: w.id,
    caseId: null,
    windowIds: [w.id],
    matched,
    candidates,
    adviceFor: () => advice,
    now,
  });
  await audit(tx, [
    {
      actor,
      action: 'exposure_window.create',
      subjectType: 'exposure_window',
      subjectId: w.id,
      details: {
        venueId: venue.id,
        from: input.from.toISOString(),
        to: input.to.toISOString(),
        advice: input.advice,
        contacts: matched.length,
        alertsQueued,
      },
    },
  ]);
  return { id: w.id, contacts: matched.length, alertsQueued };
}

/**
 * Inserts the contacts (unique per exposure key and person; those already there are skipped) and queues one
 * alert per account for the new ones, in the account's language. Returns the number of alerts queued.
 */
export async function saveContactsAndAlert(
  tx: Tx,
  deps: ExposureDeps,
  opts: {
    exposureKey: string;
    caseId: string | null;
    windowIds: string[];
    matched: MatchedContact[];
    candidates: CandidateRow[];
    adviceFor: (c: MatchedContact) => ContactKind;
    now: Date;
    /** an imported national list: no visit behind the contact (the candidates' visit ids are placeholders) */
    imported?: { source: string; place: string };
  },
): Promise<{ alerts: number; householdNotices: number; created: number }> {
  if (opts.matched.length === 0) return { alerts: 0, householdNotices: 0, created: 0 };
  const fresh: { id: string; personId: string }[] = [];
  for (let i = 0; i < opts.matched.length; i += 1000) {
    const rows = await tx
      .insert(contacts)
      .values(
        opts.matched.slice(i, i + 1000).map((c) => ({
          exposureKey: opts.exposureKey,
          caseId: opts.caseId,
          windowId: opts.windowIds[c.windowIndex],
          personId: c.personId,
          visitId: opts.imported ? null : c.visitId,
          accountId: c.accountId,
          importSource: opts.imported?.source ?? null,
          importPlace: opts.imported?.place ?? null,
          kind: c.kind,
          overlapMinutes: c.overlapMinutes,
          exposedAt: c.exposure.from,
          createdAt: opts.now,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: contacts.id, personId: contacts.personId });
    fresh.push(...rows);
  }
  const freshPersons = new Set(fresh.map((r) => r.personId));
  const byVisit = new Map(opts.candidates.map((c) => [c.visitId, c]));
  const perAccount = new Map<string, MatchedContact[]>();
  for (const c of opts.matched) {
    if (!freshPersons.has(c.personId) || !c.accountId) continue;
    perAccount.set(c.accountId, [...(perAccount.get(c.accountId) ?? []), c]);
  }
  const accountRows = await alertAccounts(tx, [...perAccount.keys()]);
  const stations = await wardHotlinesOfPersons(tx, [...freshPersons]);
  const messages: OutboxMessage[] = accountRows.map((a) => ({
    channel: a.channel as ChannelName,
    accountId: a.id,
    kind: 'alert',
    refId: opts.exposureKey,
    dedupeKey: alertDedupeKey(
      opts.exposureKey,
      a.id,
      (perAccount.get(a.id) ?? []).map((c) => c.personId),
    ),
    messages: [
      alertMessage({
        exposureKey: opts.exposureKey,
        locale: a.locale,
        hotline: stationFor(perAccount.get(a.id) ?? [], byVisit, stations, deps.config.hotline),
        lines: (perAccount.get(a.id) ?? []).map((c): AlertLine => {
          const v = byVisit.get(c.visitId);
          return {
            name: v && !v.isSelf ? v.personName : undefined,
            venue: v?.venueName ?? '',
            span: c.exposure,
            advice: opts.adviceFor(c),
          };
        }),
      }),
    ],
  }));
  const queued = await enqueue(tx, messages);
  const householdNotices = await queueHouseholdNotices(tx, deps, {
    exposureKey: opts.exposureKey,
    closePersonIds: opts.matched
      .filter((c) => freshPersons.has(c.personId) && opts.adviceFor(c) === 'close')
      .map((c) => c.personId),
    contactPersonIds: opts.matched.map((c) => c.personId),
  });
  const alerted = accountRows.map((a) => a.id);
  if (alerted.length > 0) {
    await tx
      .update(contacts)
      .set({ alertedAt: opts.now })
      .where(
        and(
          eq(contacts.exposureKey, opts.exposureKey),
          inArray(contacts.accountId, alerted),
          inArray(contacts.personId, [...freshPersons]),
          isNull(contacts.alertedAt),
        ),
      );
  }
  return { alerts: queued, householdNotices, created: fresh.length };
}

/**
 * The number an alert gives: the health station of the ward of the first alerted person with a ward in the city
 * (the account holder first, then family members in line order), or the city hotline when that ward has no
 * number set or nobody has a ward here.
 */
function stationFor(
  matched: MatchedContact[],
  byVisit: Map<string, CandidateRow>,
  stations: Map<string, string | null>,
  cityHotline: string,
): string {
  const ordered = [...matched].sort(
    (a, b) => Number(byVisit.get(b.visitId)?.isSelf ?? false) - Number(byVisit.get(a.visitId)?.isSelf ?? false),
  );
  const first = ordered.find((c) => stations.has(c.personId));
  return (first && stations.get(first.personId)) ?? cityHotline;
}

/**
 * Household members (persons declared under the same account, khai hộ) of newly found close contacts get a
 * separate "monitor your health" notice, one per account, naming them; not the exposure alert, and their pass
 * does not change. Members who are contacts themselves already have the alert.
 */
async function queueHouseholdNotices(
  tx: Tx,
  deps: ExposureDeps,
  opts: { exposureKey: string; closePersonIds: string[]; contactPersonIds: string[] },
): Promise<number> {
  if (opts.closePersonIds.length === 0) return 0;
  const contactsSet = new Set(opts.contactPersonIds);
  const members = (await householdMembers(tx, opts.closePersonIds)).filter((m) => !contactsSet.has(m.personId));
  const byAccount = new Map<string, string[]>();
  for (const m of members) byAccount.set(m.accountId, [...(byAccount.get(m.accountId) ?? []), m.fullName]);
  const stations = await wardHotlinesOfPersons(
    tx,
    members.map((m) => m.personId),
  );
  // The first named member with a ward in the city decides, as for the alert (stationFor).
  const stationOf = (accountId: string) =>
    members.filter((m) => m.accountId === accountId).find((m) => stations.has(m.personId))?.personId;
  const accountRows = await alertAccounts(tx, [...byAccount.keys()]);
  return enqueue(
    tx,
    accountRows.map((a): OutboxMessage => ({
      channel: a.channel as ChannelName,
      accountId: a.id,
      kind: 'household_notice',
      refId: opts.exposureKey,
      dedupeKey: `household:${opts.exposureKey}:${a.id}`,
      messages: [
        householdNotice({
          locale: a.locale,
          names: byAccount.get(a.id) ?? [],
          hotline: stations.get(stationOf(a.id) ?? '') ?? deps.config.hotline,
        }),
      ],
    })),
  );
}

/**
 * One alert per (exposure, account, set of newly found persons): a later registration that finds another person
 * on an account already alerted queues a second alert naming only that person, while a retry of the same call
 * (same persons) stays one message. Hashed so a large household keeps the key short.
 */
export function alertDedupeKey(exposureKey: string, accountId: string, personIds: string[]): string {
  const persons = createHash('sha256')
    .update([...new Set(personIds)].sort().join(','))
    .digest('hex')
    .slice(0, 16);
  return `alert:${exposureKey}:${accountId}:${persons}`;
}

/** Ends a case: the person's pass is no longer red. Closing twice keeps the first time. In the caller's transaction. */
export async function closeCase(tx: Tx, deps: Pick<Deps, 'clock'>, id: string, actor: string): Promise<Case> {
  const existing = await tx.query.cases.findFirst({ where: eq(cases.id, id) });
  if (!existing) throw notFound('CASE_NOT_FOUND', 'No case has this id.');
  if (existing.closedAt) return existing;
  const [row] = (await tx.update(cases).set({ closedAt: deps.clock.now() }).where(eq(cases.id, id)).returning()) as [
    Case,
  ];
  await audit(tx, [{ actor, action: 'case.close', subjectType: 'case', subjectId: id }]);
  return row;
}

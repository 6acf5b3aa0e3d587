import { and, desc, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import { recordAudit } from '../../audit/audit-log.js';
import type { DbOrTx } from '../../db/client.js';
import { casePersons, cases, contacts, declarations, followups, persons, wards } from '../../db/schema/index.js';
import { passEffects } from '../health-form/questions.js';
import { inScope, type WardScope } from '../officials/scope.js';

export const FOLLOWUP_STATUSES = [
  'new',
  'contacted',
  'testing',
  'negative',
  'isolating',
  'positive',
  'cleared',
] as const;
export type FollowupStatus = (typeof FOLLOWUP_STATUSES)[number];
/** Statuses after which the official is offered to record a confirmed case for the person (/f0, POST /api/v1/cases). */
export const CASE_STATUSES: readonly FollowupStatus[] = ['isolating', 'positive'];
export const isFollowupStatus = (v: unknown): v is FollowupStatus =>
  typeof v === 'string' && (FOLLOWUP_STATUSES as readonly string[]).includes(v);

/** A declaration, an exposure alert or a contact record older than this no longer puts anyone on the list. */
export const FOLLOWUP_WINDOW_DAYS = 14;
const DAY_MS = 86_400_000;

/**
 * Why someone is on the list: `symptoms` / `contact-declared` from the latest declaration (the `pass` column of
 * health-form/questions.ts), `exposure` alerted as a contact, `active-case` an open confirmed case.
 */
export type FollowupReason = 'active-case' | 'symptoms' | 'contact-declared' | 'exposure';

export interface FollowupEntry {
  personId: string;
  name: string;
  phone: string | null;
  address: string | null;
  wardCode: string | null;
  wardName: string | null;
  reasons: FollowupReason[];
  /** the earliest of the reasons' times (declaration, alert, case recorded) */
  since: Date;
  status: FollowupStatus;
  note: string | null;
  updatedAt: Date | null;
}

/** The wards a query covers: undefined = every ward (and people without one); [] = nothing. */
function wardsOf(scope: WardScope, wardCode: string | undefined): string[] | undefined {
  if (wardCode) return inScope(scope, wardCode) ? [wardCode] : [];
  return scope.all ? undefined : scope.wardCodes;
}

/**
 * Residents to follow up in `scope` (narrowed to `wardCode`, filtered by `status`), most recent first: their
 * latest declaration (in the last 14 days) reports symptoms or a risk answer, they were alerted as a contact in
 * the last 14 days, or they are an open case.
 */
export async function listFollowups(
  db: DbOrTx,
  scope: WardScope,
  q: { now: Date; wardCode?: string; status?: FollowupStatus; personId?: string },
): Promise<FollowupEntry[]> {
  const wardList = wardsOf(scope, q.wardCode);
  if (wardList && wardList.length === 0) return [];
  const since = new Date(q.now.getTime() - FOLLOWUP_WINDOW_DAYS * DAY_MS);
  const personFilter = and(
    wardList ? inArray(persons.wardCode, wardList) : undefined,
    q.personId ? eq(persons.id, q.personId) : undefined,
  );
  const found = new Map<string, { reasons: Set<FollowupReason>; since: Date }>();
  const add = (personId: string, reason: FollowupReason, at: Date) => {
    const e = found.get(personId) ?? { reasons: new Set<FollowupReason>(), since: at };
    e.reasons.add(reason);
    if (at < e.since) e.since = at;
    found.set(personId, e);
  };

  // The latest declaration of each person in scope, when it is recent and raises the pass.
  const latest = await db
    .selectDistinctOn([declarations.personId])
    .from(declarations)
    .innerJoin(persons, eq(persons.id, declarations.personId))
    .where(and(gte(declarations.declaredAt, since), personFilter))
    .orderBy(declarations.personId, desc(declarations.declaredAt));
  for (const row of latest) {
    for (const effect of passEffects(row.declarations))
      add(row.declarations.personId, effect, row.declarations.declaredAt);
  }

  const alertAt = sql<Date>`min(coalesce(${contacts.alertedAt}, ${contacts.createdAt}))`.mapWith(
    (v: string | Date) => new Date(v),
  );
  const exposed = await db
    .select({ personId: contacts.personId, at: alertAt })
    .from(contacts)
    .innerJoin(persons, eq(persons.id, contacts.personId))
    .where(
      and(
        sql`coalesce(${contacts.alertedAt}, ${contacts.createdAt}) >= ${since.toISOString()}::timestamptz`,
        personFilter,
      ),
    )
    .groupBy(contacts.personId);
  for (const row of exposed) add(row.personId, 'exposure', row.at);

  const openCases = await db
    .select({ personId: persons.id, at: cases.createdAt })
    .from(cases)
    .innerJoin(
      persons,
      sql`${persons.id} = ${cases.personId} or ${persons.id} in (select ${casePersons.personId} from ${casePersons} where ${casePersons.caseId} = ${cases.id})`,
    )
    .where(and(isNull(cases.closedAt), personFilter));
  for (const row of openCases) add(row.personId, 'active-case', row.at);

  if (found.size === 0) return [];
  const rows = await db
    .select({ person: persons, ward: wards, followup: followups })
    .from(persons)
    .leftJoin(wards, eq(wards.code, persons.wardCode))
    .leftJoin(followups, eq(followups.personId, persons.id))
    .where(inArray(persons.id, [...found.keys()]));
  const order: FollowupReason[] = ['active-case', 'symptoms', 'contact-declared', 'exposure'];
  return rows
    .map((r): FollowupEntry => {
      const f = found.get(r.person.id)!;
      return {
        personId: r.person.id,
        name: r.person.fullName,
        phone: r.person.phone,
        address: [r.person.street, r.ward?.name, r.ward?.district].filter(Boolean).join(', ') || null,
        wardCode: r.person.wardCode,
        wardName: r.ward?.name ?? null,
        reasons: order.filter((x) => f.reasons.has(x)),
        since: f.since,
        status: isFollowupStatus(r.followup?.status) ? r.followup.status : 'new',
        note: r.followup?.note ?? null,
        updatedAt: r.followup?.updatedAt ?? null,
      };
    })
    .filter((e) => !q.status || e.status === q.status)
    .sort((a, b) => b.since.getTime() - a.since.getTime() || a.personId.localeCompare(b.personId));
}

/** Audits one read of the follow-up list (who, which scope and filters, how many people were shown). */
export async function auditFollowupRead(
  db: DbOrTx,
  a: {
    actor: string;
    scope: WardScope;
    wardCode?: string;
    status?: string;
    shown: FollowupEntry[];
    at: Date;
    via: string;
  },
): Promise<void> {
  await recordAudit(db, {
    actor: a.actor,
    action: 'followup.list',
    subjectType: 'followups',
    details: {
      via: a.via,
      scope: a.scope.all ? 'all' : a.scope.wardCodes,
      wardCode: a.wardCode ?? null,
      status: a.status ?? null,
      personIds: a.shown.map((e) => e.personId),
    },
    at: a.at,
  });
}

export type SetFollowupResult =
  { ok: true; previous: FollowupStatus; status: FollowupStatus } | { ok: false; reason: 'not_found' };

/**
 * Sets a person's follow-up status and note, when the person is in `scope` (otherwise `not_found`: an official
 * does not learn that someone exists outside their wards). `negative` records the test time: an exposure alerted
 * before it stops keeping the pass yellow (pass/status.ts). Audited; the note's text is not copied into the audit.
 */
export async function setFollowup(
  db: DbOrTx,
  scope: WardScope,
  u: { personId: string; status: FollowupStatus; note?: string; actor: string; now: Date; via: string },
): Promise<SetFollowupResult> {
  const person = await db.query.persons.findFirst({ where: eq(persons.id, u.personId) });
  if (!person || !inScope(scope, person.wardCode)) return { ok: false, reason: 'not_found' };
  const before = await db.query.followups.findFirst({ where: eq(followups.personId, u.personId) });
  const previous = isFollowupStatus(before?.status) ? before.status : 'new';
  const set = {
    status: u.status,
    ...(u.note !== undefined ? { note: u.note || null } : {}),
    ...(u.status === 'negative' ? { negativeAt: u.now } : {}),
    updatedBy: u.actor,
    updatedAt: u.now,
  };
  await db
    .insert(followups)
    .values({ personId: u.personId, ...set })
    .onConflictDoUpdate({ target: followups.personId, set });
  await recordAudit(db, {
    actor: u.actor,
    action: 'followup.update',
    subjectType: 'person',
    subjectId: u.personId,
    details: { via: u.via, previous, status: u.status, noteChanged: u.note !== undefined },
    at: u.now,
  });
  return { ok: true, previous, status: u.status };
}

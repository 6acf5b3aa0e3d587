import { and, eq, isNull, or, sql } from 'drizzle-orm';
import { recordAudit } from '../../audit/audit-log.js';
import type { Deps } from '../../core/dialog.js';
import { formatDateTime, tFor } from '../../core/i18n.js';
import type { ChannelName } from '../../core/messages.js';
import type { DbOrTx } from '../../db/client.js';
import { accounts, officialRoles, wards, type Person, type Venue } from '../../db/schema/index.js';
import { enqueue } from '../../outbox/enqueue.js';
import { currentStatus, type CurrentStatus, type PassStatus, type StatusDecision } from '../pass/status.js';
import { entryPolicyOf, type EntryPolicy } from '../venues/kinds.js';

/**
 * What the door does with a person, from their pass status and the venue's entry policy:
 * - `refuse`: red (an open confirmed case) everywhere; yellow where the venue's policy is `refuse`;
 * - `declare-first`: no declaration in PASS_VALID_HOURS (grey, or yellow only by an exposure alert): the
 *   person declares first, nothing is recorded until then;
 * - `warn`: yellow where the policy is `warn`: admitted, and both the person and the staff are told in words;
 * - `admit`: green, or yellow where the policy is `admit`.
 * Red is decided first: a confirmed case is refused, not asked to declare.
 */
export type EntryVerdict = 'admit' | 'warn' | 'refuse' | 'declare-first';

export interface EntryDecision {
  verdict: EntryVerdict;
  status: PassStatus;
  policy: EntryPolicy;
}

export function decideEntry(status: Pick<StatusDecision, 'status' | 'declaredAt'>, policy: EntryPolicy): EntryDecision {
  const verdict: EntryVerdict =
    status.status === 'red'
      ? 'refuse'
      : !status.declaredAt
        ? 'declare-first'
        : status.status === 'yellow'
          ? policy
          : 'admit';
  return { verdict, status: status.status, policy };
}

/** The person's status now and what this venue's door does with it. */
export async function entryAt(
  db: DbOrTx,
  personId: string,
  venue: Pick<Venue, 'kind' | 'entryPolicy'>,
  now: Date,
  config: Deps['config'],
): Promise<EntryDecision & { current: CurrentStatus }> {
  return entryWith(await currentStatus(db, personId, now, config), venue);
}

/** The decision at this venue's door for a status read already. */
export function entryWith(
  current: CurrentStatus,
  venue: Pick<Venue, 'kind' | 'entryPolicy'>,
): EntryDecision & { current: CurrentStatus } {
  return { ...decideEntry(current, entryPolicyOf(venue)), current };
}

/**
 * The health officials to tell about a person: the `ward_health` officials whose scope covers the person's ward
 * (listed by ward code, or by the ward's district), plus every holder of the city-wide `health` role. A person
 * without a ward reaches the city-wide officials only.
 */
export async function healthOfficialsFor(
  db: DbOrTx,
  scope: { wardCode: string | null },
): Promise<{ id: string; channel: string; locale: string }[]> {
  const ward = scope.wardCode
    ? sql`(${officialRoles.role} = 'ward_health' and (${officialRoles.wardCodes} @> array[${scope.wardCode}]::text[]
          or ${officialRoles.districtCode} = (select ${wards.districtCode} from ${wards} where ${wards.code} = ${scope.wardCode})))`
    : sql`false`;
  return db
    .selectDistinctOn([accounts.createdAt, accounts.id], {
      id: accounts.id,
      channel: accounts.channel,
      locale: accounts.locale,
    })
    .from(officialRoles)
    .innerJoin(accounts, eq(accounts.id, officialRoles.accountId))
    .where(and(or(eq(officialRoles.role, 'health'), ward), isNull(accounts.unreachableAt)))
    .orderBy(accounts.createdAt, accounts.id);
}

export interface RefusedEntry {
  person: Person;
  venue: Venue;
  decision: EntryDecision;
  /** 'self': the person's own check-in in chat; 'staff': a staff member's scan of their pass */
  source: 'self' | 'staff';
  /** the account that tried: the resident's, or the staff member's */
  actorAccountId: string;
  now: Date;
}

/** Repeats of one refusal (a double tap, a page reloaded) inside this many seconds are one notice per official. */
export const REFUSAL_NOTICE_COLLAPSE_SECONDS = 60;

/**
 * Writes down a refused entry, inside the caller's transaction: an audit row always; for a red pass also a
 * notice to the health officials through the outbox (durable: it survives a crash between here and the send),
 * naming the person, the venue and the time. Returns how many notices were queued. The caller wakes the
 * outbox after commit.
 */
export async function recordRefusedEntry(db: DbOrTx, r: RefusedEntry): Promise<number> {
  await recordAudit(db, {
    actor: `account:${r.actorAccountId}`,
    action: 'entry.refused',
    subjectType: 'person',
    subjectId: r.person.id,
    details: { venueId: r.venue.id, status: r.decision.status, policy: r.decision.policy, source: r.source },
    at: r.now,
  });
  if (r.decision.status !== 'red') return 0;
  const officials = await healthOfficialsFor(db, { wardCode: r.person.wardCode });
  if (officials.length === 0) return 0;
  const ward = r.person.wardCode
    ? await db.query.wards.findFirst({ where: eq(wards.code, r.person.wardCode) })
    : undefined;
  const bucket = Math.floor(r.now.getTime() / (REFUSAL_NOTICE_COLLAPSE_SECONDS * 1000));
  return enqueue(
    db,
    officials.map((o) => {
      const t = tFor(o.locale);
      const lines = [
        t('checkin:refused_notice.title'),
        t('checkin:refused_notice.person', {
          name: r.person.fullName,
          year: r.person.birthYear,
          phone: r.person.phone ?? t('checkin:refused_notice.no_phone'),
        }),
        ...(ward ? [t('checkin:refused_notice.ward', { ward: `${ward.name}, ${ward.district}` })] : []),
        t('checkin:refused_notice.venue', { venue: r.venue.name, code: r.venue.code, address: r.venue.address ?? '—' }),
        t('checkin:refused_notice.time', { time: formatDateTime(r.now, o.locale) }),
        t(`checkin:refused_notice.source_${r.source}`),
        t('checkin:refused_notice.footer'),
      ];
      return {
        channel: o.channel as ChannelName,
        accountId: o.id,
        kind: 'entry-refused',
        refId: r.person.id,
        dedupeKey: `entry-refused:${r.person.id}:${r.venue.id}:${r.source}:${bucket}:${o.id}`,
        messages: [{ text: lines.join('\n') }],
      };
    }),
  );
}

/**
 * Writes down an entry admitted with a warning (a yellow pass where the venue's policy is `warn`), inside the
 * caller's transaction: an `entry.warned` audit row, so the owner's count of today's warned entries (/diadiem)
 * and the audit trail see it. Called once per new visit, not for a repeat scan of someone already inside.
 */
export async function recordWarnedEntry(
  db: DbOrTx,
  r: Omit<RefusedEntry, 'person'> & { personId: string },
): Promise<void> {
  await recordAudit(db, {
    actor: `account:${r.actorAccountId}`,
    action: 'entry.warned',
    subjectType: 'person',
    subjectId: r.personId,
    details: { venueId: r.venue.id, status: r.decision.status, policy: r.decision.policy, source: r.source },
    at: r.now,
  });
}

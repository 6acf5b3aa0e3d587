import { and, inArray, isNotNull, isNull, lt, notExists, notInArray, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  accounts,
  auditLog,
  cases,
  contacts,
  declarations,
  dialogStates,
  exposureWindows,
  invites,
  officialRoles,
  outbox,
  persons,
  processedUpdates,
  staffLoginLinks,
  venueStaff,
  visits,
  webInbox,
  webPushSubscriptions,
} from '../../db/schema/index.js';
import { purgeHeldPersons } from '../people/hold.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from './policy.js';

const DAY = 86_400_000;

export interface RetentionResult {
  visits: number;
  declarations: number;
  dialogStates: number;
  processedUpdates: number;
  auditLog: number;
  outbox: number;
  webInbox: number;
  webPushSubscriptions: number;
  contacts: number;
  exposureWindows: number;
  invites: number;
  staffLoginLinks: number;
  /** persons held after /xoadulieu whose follow-up ended (people/hold.ts) */
  heldPersons: number;
  /** persons declared at a venue's door (no owning account) once nothing of theirs is left */
  doorPersons: number;
}

/** Delete everything past its retention period. Safe to run on several instances at once. */
export async function applyRetention(
  db: DbOrTx,
  now: Date,
  policy: RetentionPolicy = DEFAULT_RETENTION,
): Promise<RetentionResult> {
  const before = (days: number) => new Date(now.getTime() - days * DAY);
  const count = async (q: Promise<unknown[]>) => (await q).length;
  return {
    // A visit is kept 21 days from when it began (an open visit older than that is long over).
    visits: await count(
      db
        .delete(visits)
        .where(lt(visits.enteredAt, before(policy.visitsDays)))
        .returning({ id: visits.id }),
    ),
    declarations: await count(
      db
        .delete(declarations)
        .where(lt(declarations.declaredAt, before(policy.declarationsDays)))
        .returning({ id: declarations.id }),
    ),
    dialogStates: await count(
      db
        .delete(dialogStates)
        .where(lt(dialogStates.updatedAt, before(policy.dialogIdleDays)))
        .returning({ id: dialogStates.accountId }),
    ),
    processedUpdates: await count(
      db
        .delete(processedUpdates)
        .where(lt(processedUpdates.processedAt, before(policy.processedUpdatesDays)))
        .returning({ id: processedUpdates.updateId }),
    ),
    auditLog: await count(
      db
        .delete(auditLog)
        .where(lt(auditLog.at, before(policy.auditLogDays)))
        .returning({ id: auditLog.id }),
    ),
    outbox: await count(
      db
        .delete(outbox)
        .where(and(lt(outbox.createdAt, before(policy.outboxDays)), notInArray(outbox.status, ['pending', 'sending'])))
        .returning({ id: outbox.id }),
    ),
    webInbox: await count(
      db
        .delete(webInbox)
        .where(lt(webInbox.createdAt, before(policy.webInboxDays)))
        .returning({ id: webInbox.id }),
    ),
    webPushSubscriptions: await count(
      db
        .delete(webPushSubscriptions)
        .where(lt(webPushSubscriptions.seenAt, before(policy.webPushSubscriptionsDays)))
        .returning({ id: webPushSubscriptions.id }),
    ),
    contacts: await count(
      db
        .delete(contacts)
        .where(lt(contacts.exposedAt, before(policy.contactsDays)))
        .returning({ id: contacts.id }),
    ),
    exposureWindows: await count(
      db
        .delete(exposureWindows)
        .where(
          and(
            lt(exposureWindows.toAt, before(policy.closedCaseWindowsDays)),
            inArray(exposureWindows.caseId, db.select({ id: cases.id }).from(cases).where(isNotNull(cases.closedAt))),
          ),
        )
        .returning({ id: exposureWindows.id }),
    ),
    invites: await count(
      db
        .delete(invites)
        .where(
          or(lt(invites.expiresAt, before(policy.linksGraceDays)), lt(invites.usedAt, before(policy.linksGraceDays))),
        )
        .returning({ id: invites.id }),
    ),
    staffLoginLinks: await count(
      db
        .delete(staffLoginLinks)
        .where(lt(staffLoginLinks.expiresAt, before(policy.linksGraceDays)))
        .returning({ id: staffLoginLinks.codeHash }),
    ),
    heldPersons: await purgeHeldPersons(db, now),
    // A person declared by venue staff (checkin/scanner.ts) has no account whose deletion takes them along: they
    // go once their declarations, visits, contacts and open cases have gone (declarations last 28 days).
    doorPersons: await count(
      db
        .delete(persons)
        .where(
          and(
            isNull(persons.ownerAccountId),
            // a person held after /xoadulieu goes by people/hold.ts, when the hold ends
            isNull(persons.holdUntil),
            notExists(
              db
                .select({ one: sql`1` })
                .from(declarations)
                .where(sql`${declarations.personId} = ${persons.id}`),
            ),
            notExists(
              db
                .select({ one: sql`1` })
                .from(visits)
                .where(sql`${visits.personId} = ${persons.id}`),
            ),
            notExists(
              db
                .select({ one: sql`1` })
                .from(contacts)
                .where(sql`${contacts.personId} = ${persons.id}`),
            ),
            notExists(
              db
                .select({ one: sql`1` })
                .from(cases)
                .where(and(sql`${cases.personId} = ${persons.id}`, isNull(cases.closedAt))),
            ),
          ),
        )
        .returning({ id: persons.id }),
    ),
  };
}

/**
 * Deletes accounts that never consented and have been quiet for a day (their dialog state goes with them).
 * Kept whatever their consent: officials and venue staff (roles granted by invite or by an owner) and anyone
 * with a person record. Returns how many went.
 */
export async function expireUnconsentedAccounts(
  db: DbOrTx,
  now: Date,
  policy: RetentionPolicy = DEFAULT_RETENTION,
): Promise<number> {
  const cutoff = new Date(now.getTime() - policy.unconsentedAccountsDays * DAY);
  const gone = await db
    .delete(accounts)
    .where(
      and(
        isNull(accounts.consentedAt),
        isNull(accounts.personId),
        or(lt(accounts.lastInboundAt, cutoff), and(isNull(accounts.lastInboundAt), lt(accounts.createdAt, cutoff))),
        notExists(
          db
            .select({ one: sql`1` })
            .from(officialRoles)
            .where(sql`${officialRoles.accountId} = ${accounts.id}`),
        ),
        notExists(
          db
            .select({ one: sql`1` })
            .from(venueStaff)
            .where(sql`${venueStaff.accountId} = ${accounts.id}`),
        ),
        notExists(
          db
            .select({ one: sql`1` })
            .from(persons)
            .where(sql`${persons.ownerAccountId} = ${accounts.id}`),
        ),
      ),
    )
    .returning({ id: accounts.id });
  return gone.length;
}

/** Runs hourly. */

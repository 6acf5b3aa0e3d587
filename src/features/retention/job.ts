import { and, inArray, isNotNull, lt, notInArray, or } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  auditLog,
  cases,
  contacts,
  declarations,
  dialogStates,
  exposureWindows,
  invites,
  outbox,
  processedUpdates,
  staffLoginLinks,
  visits,
  webInbox,
} from '../../db/schema/index.js';
import type { FeatureModule } from '../index.js';
import { DEFAULT_RETENTION, retentionPolicy, type RetentionPolicy } from './policy.js';

const DAY = 86_400_000;

export interface RetentionResult {
  visits: number;
  declarations: number;
  dialogStates: number;
  processedUpdates: number;
  auditLog: number;
  outbox: number;
  webInbox: number;
  contacts: number;
  exposureWindows: number;
  invites: number;
  staffLoginLinks: number;
}

/** Delete everything past its retention period. Safe to run on several instances at once. */
export async function applyRetention(db: DbOrTx, now: Date, policy: RetentionPolicy = DEFAULT_RETENTION): Promise<RetentionResult> {
  const before = (days: number) => new Date(now.getTime() - days * DAY);
  const count = async (q: Promise<unknown[]>) => (await q).length;
  return {
    // A visit is kept 21 days from when it began (an open visit older than that is long over).
    visits: await count(db.delete(visits).where(lt(visits.enteredAt, before(policy.visitsDays))).returning({ id: visits.id })),
    declarations: await count(
      db.delete(declarations).where(lt(declarations.declaredAt, before(policy.declarationsDays))).returning({ id: declarations.id }),
    ),
    dialogStates: await count(
      db.delete(dialogStates).where(lt(dialogStates.updatedAt, before(policy.dialogIdleDays))).returning({ id: dialogStates.accountId }),
    ),
    processedUpdates: await count(
      db
        .delete(processedUpdates)
        .where(lt(processedUpdates.processedAt, before(policy.processedUpdatesDays)))
        .returning({ id: processedUpdates.updateId }),
    ),
    auditLog: await count(db.delete(auditLog).where(lt(auditLog.at, before(policy.auditLogDays))).returning({ id: auditLog.id })),
    outbox: await count(
      db
        .delete(outbox)
        .where(and(lt(outbox.createdAt, before(policy.outboxDays)), notInArray(outbox.status, ['pending', 'sending'])))
        .returning({ id: outbox.id }),
    ),
    webInbox: await count(db.delete(webInbox).where(lt(webInbox.createdAt, before(policy.webInboxDays))).returning({ id: webInbox.id })),
    contacts: await count(db.delete(contacts).where(lt(contacts.exposedAt, before(policy.contactsDays))).returning({ id: contacts.id })),
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
        .where(or(lt(invites.expiresAt, before(policy.linksGraceDays)), lt(invites.usedAt, before(policy.linksGraceDays))))
        .returning({ id: invites.id }),
    ),
    staffLoginLinks: await count(
      db.delete(staffLoginLinks).where(lt(staffLoginLinks.expiresAt, before(policy.linksGraceDays))).returning({ id: staffLoginLinks.codeHash }),
    ),
  };
}

/** Runs hourly. */
export const retentionModule: FeatureModule = {
  workers: (workers, deps) => {
    workers.every('retention', 3_600_000, async () => {
      const result = await applyRetention(deps.database.db, deps.clock.now(), retentionPolicy(deps.config));
      deps.log.info({ deleted: result }, 'retention applied');
    });
  },
};

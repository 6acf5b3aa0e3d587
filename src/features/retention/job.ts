import { and, lt, notInArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { auditLog, declarations, dialogStates, outbox, processedUpdates, visits, webInbox } from '../../db/schema/index.js';
import type { FeatureModule } from '../index.js';
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
  };
}

/** Runs hourly. */
export const retentionModule: FeatureModule = {
  workers: (workers, deps) => {
    workers.every('retention', 3_600_000, async () => {
      const result = await applyRetention(deps.database.db, deps.clock.now());
      deps.log.info({ deleted: result }, 'retention applied');
    });
  },
};

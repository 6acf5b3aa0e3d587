import type { DbOrTx } from '../db/client.js';
import { auditLog } from '../db/schema/index.js';

/**
 * The audit trail: who did what to which record, written in the same transaction as the change. Its own module
 * because every area that changes officials' or residents' records writes it (officials, broadcasts, cases).
 */
export interface AuditEntry {
  /** 'bootstrap', 'token:<id>' or 'account:<id>' */
  actor: string;
  action: string;
  subjectType?: string;
  subjectId?: string;
  details?: Record<string, unknown>;
  at: Date;
}

export async function recordAudit(db: DbOrTx, e: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: e.actor,
    action: e.action,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    details: e.details,
    at: e.at,
  });
}

/** The audit actor for a chat account. */
export const accountActor = (accountId: string) => `account:${accountId}`;

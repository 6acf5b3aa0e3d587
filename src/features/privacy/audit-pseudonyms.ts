import { createHmac } from 'node:crypto';
import { eq, like, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { auditLog } from '../../db/schema/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What replaces a deleted person's or account's id in the audit log. Keyed (with the data key), so the entries
 * about one deleted person still read as one person, while the pseudonym cannot be recomputed from an id
 * without the key and the id itself is gone from every other table.
 */
export function auditPseudonym(id: string, key: Buffer | undefined): string {
  if (!key) return 'deleted';
  return `deleted:${createHmac('sha256', key).update(`audit-pseudonym:${id}`).digest('hex').slice(0, 16)}`;
}

/**
 * After a resident deletes their data the audit entries stay (they account for what officials did) but no
 * longer name them: every occurrence of these ids in actor, subject and details is replaced by its pseudonym.
 * Returns the number of entries changed.
 */
export async function pseudonymizeAudit(db: DbOrTx, ids: string[], key: Buffer | undefined): Promise<number> {
  let changed = 0;
  for (const id of new Set(ids)) {
    if (!UUID.test(id)) continue; // only ids: a pattern of anything else could match unrelated text
    const pseudonym = auditPseudonym(id, key);
    const rows = await db
      .update(auditLog)
      .set({
        actor: sql`replace(${auditLog.actor}, ${id}, ${pseudonym})`,
        subjectId: sql`replace(${auditLog.subjectId}, ${id}, ${pseudonym})`,
        details: sql`replace(${auditLog.details}::text, ${id}, ${pseudonym})::jsonb`,
      })
      .where(
        or(
          like(auditLog.actor, `%${id}%`),
          eq(auditLog.subjectId, id),
          sql`${auditLog.details}::text like ${`%${id}%`}`,
        ),
      )
      .returning({ id: auditLog.id });
    changed += rows.length;
  }
  return changed;
}

import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { zaloMenus } from '../../db/schema/index.js';

/**
 * Numbered options stand in for buttons (and back them up when Zalo's buttons do not show), so a typed
 * number has to be mapped to the payload of the menu the person last saw. Kept in the database: the next
 * message may reach another instance.
 */
export async function rememberMenu(db: DbOrTx, accountId: string, payloads: string[] | undefined, at: Date): Promise<void> {
  if (!payloads || payloads.length === 0) {
    // A question without options followed: a number typed now is an answer, not a choice.
    await db.delete(zaloMenus).where(eq(zaloMenus.accountId, accountId));
    return;
  }
  await db
    .insert(zaloMenus)
    .values({ accountId, payloads, updatedAt: at })
    .onConflictDoUpdate({ target: zaloMenus.accountId, set: { payloads, updatedAt: at } });
}

/** The payload of option `n` (1-based) of the account's last menu, if there is one. */
export async function menuChoice(db: DbOrTx, accountId: string, n: number): Promise<string | undefined> {
  const row = await db.query.zaloMenus.findFirst({ where: eq(zaloMenus.accountId, accountId) });
  return row?.payloads[n - 1];
}

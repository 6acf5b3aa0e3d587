// Residents for the webhook and memory benchmarks: declared ones written straight to the database, and the
// buttons the bot offers them as the fake Bot API recorded them.
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { callbackButtons, type RecordedCall } from '../../test/helpers/fake-telegram.js';
import { accounts, declarations, persons } from '../../src/db/schema/index.js';

/** `n` declared residents on Telegram (chat ids from `firstChatId`), written in batches; their chat ids. */
export async function seedResidents(db: Db, firstChatId: number, n: number): Promise<number[]> {
  const chatIds = Array.from({ length: n }, (_, i) => firstChatId + i);
  for (let i = 0; i < n; i += 500) {
    const batch = chatIds.slice(i, i + 500).map(String);
    const accs = await db
      .insert(accounts)
      .values(batch.map((externalId) => ({ channel: 'telegram', externalId, locale: 'vi', consentedAt: new Date() })))
      .returning({ id: accounts.id });
    const people = await db
      .insert(persons)
      .values(
        accs.map((a, j) => ({
          ownerAccountId: a.id,
          isSelf: true,
          fullName: `Cư dân ${i + j}`,
          birthYear: 1990,
          gender: 'female',
        })),
      )
      .returning({ id: persons.id, ownerAccountId: persons.ownerAccountId });
    await db.execute(
      sql`update ${accounts} a set person_id = p.id from ${persons} p where p.owner_account_id = a.id and p.is_self and a.person_id is null`,
    );
    await db.insert(declarations).values(
      people.map((p) => ({
        personId: p.id,
        declaredByAccountId: p.ownerAccountId,
        travel: false,
        contactCase: false,
        contactOutbreakArea: false,
        contactSymptoms: false,
      })),
    );
  }
  return chatIds;
}

/** The button labelled `label` in the last message the bot sent to a chat (scanned from the end, where this chat's
 * reply just landed). */
export function offeredButton(
  calls: RecordedCall[],
  chatId: number,
  label: string,
): { data: string; messageId: number } | undefined {
  for (let i = calls.length - 1; i >= 0; i--) {
    const c: RecordedCall = calls[i]!;
    if (c.method !== 'sendMessage' || String(c.params.chat_id) !== String(chatId)) continue;
    const b = callbackButtons(c).find((x) => x.text.includes(label));
    return b ? { data: b.data, messageId: b.messageId } : undefined;
  }
  return undefined;
}

import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../src/db/client.js';
import { accounts, declarations, persons, type Person } from '../../src/db/schema/index.js';

/** A chat account with its own declared person (and optionally family members), written straight to the database. */
export async function residentWithDeclaration(
  db: DbOrTx,
  opts: {
    channel?: 'web' | 'telegram' | 'zalo';
    externalId: string;
    name?: string;
    declaredAt?: Date;
    family?: string[];
    declared?: boolean;
  },
): Promise<{ accountId: string; self: Person; family: Person[] }> {
  const [acc] = await db
    .insert(accounts)
    .values({ channel: opts.channel ?? 'web', externalId: opts.externalId, locale: 'vi', consentedAt: new Date() })
    .returning();
  const [self] = await db
    .insert(persons)
    .values({
      ownerAccountId: acc!.id,
      isSelf: true,
      fullName: opts.name ?? 'Nguyễn Văn An',
      birthYear: 1990,
      gender: 'male',
      phone: '+84901234567',
    })
    .returning();
  await db.update(accounts).set({ personId: self!.id }).where(eq(accounts.id, acc!.id));
  const family: Person[] = [];
  for (const f of opts.family ?? []) {
    const [p] = await db
      .insert(persons)
      .values({ ownerAccountId: acc!.id, isSelf: false, fullName: f, birthYear: 2015, gender: 'female' })
      .returning();
    family.push(p!);
  }
  if (opts.declared !== false) {
    for (const p of [self!, ...family]) {
      await db.insert(declarations).values({
        personId: p.id,
        declaredByAccountId: acc!.id,
        travel: false,
        contactCase: false,
        contactOutbreakArea: false,
        contactSymptoms: false,
        declaredAt: opts.declaredAt ?? new Date('2021-08-01T07:00:00+07:00'),
      });
    }
  }
  return { accountId: acc!.id, self: self!, family };
}

import type { Db } from '../../src/db/client.js';
import { accounts, declarations, persons } from '../../src/db/schema/index.js';

/**
 * A web-chat resident of `wardCode` (consented at `now`, birth year and gender fixed) with one declaration per
 * entry of `declared`, each `ago` ms before `now`, with the symptoms given and every risk answer "no" — the data a
 * report, a follow-up list or the console counts. Returns the person's id.
 */
export async function seedWardResident(
  db: Db,
  o: {
    name: string;
    wardCode: string;
    now: Date;
    declared: { ago: number; symptoms?: string[] }[];
    birthYear?: number;
    gender?: 'male' | 'female';
  },
): Promise<string> {
  const [acc] = await db
    .insert(accounts)
    .values({ channel: 'web', externalId: `r-${o.name}`, locale: 'vi', consentedAt: o.now })
    .returning();
  const [p] = await db
    .insert(persons)
    .values({
      ownerAccountId: acc!.id,
      isSelf: true,
      fullName: o.name,
      birthYear: o.birthYear ?? 1985,
      gender: o.gender ?? 'female',
      wardCode: o.wardCode,
    })
    .returning();
  for (const d of o.declared) await declareHealth(db, p!.id, new Date(o.now.getTime() - d.ago), d.symptoms);
  return p!.id;
}

/** One declaration for `personId` at `at`, with the symptoms given and every risk answer "no". */
export async function declareHealth(db: Db, personId: string, at: Date, symptoms?: string[]): Promise<void> {
  await db.insert(declarations).values({
    personId,
    travel: false,
    ...(symptoms ? { symptoms } : {}),
    contactCase: false,
    contactOutbreakArea: false,
    contactSymptoms: false,
    declaredAt: at,
  });
}

import { and, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { columnsOf, param, prepared, rowOf } from '../../db/prepared.js';
import { holdHealthRecords, type HeldPerson } from './hold.js';
import { accounts, cases, declarations, persons, type Declaration, type Person } from '../../db/schema/index.js';
import { decryptNationalId, nationalIdLookupHash } from './national-id.js';

/** The persons an account holds: its own (self first), then family members oldest first. */
const personsOfOwner = prepared<{ accountId: string }, Person>(
  'persons_of_owner',
  () => sql`select ${columnsOf(persons)} from ${persons} where ${persons.ownerAccountId} = ${param('accountId')}::uuid
            order by ${persons.isSelf} desc, ${persons.createdAt}, ${persons.id}`,
  rowOf(persons),
);

/**
 * SQL for the id of an account's own person, the one `accountPersons` calls `self`: statements that read about that
 * person before its id is known put it in a subquery. There is at most one (persons_one_self_idx); the order is
 * `accountPersons`' all the same.
 */
export const selfOfAccount = (accountId: SQL): SQL =>
  sql`select ${persons.id} from ${persons} where ${persons.ownerAccountId} = ${accountId} and ${persons.isSelf}
      order by ${persons.createdAt}, ${persons.id} limit 1`;

/** The account holder's own person record (if they have declared) and the family members they declared. */
export async function accountPersons(db: DbOrTx, accountId: string): Promise<{ self?: Person; family: Person[] }> {
  const rows = await personsOfOwner.all(db, { accountId });
  const self = rows.find((p) => p.isSelf);
  return { ...(self ? { self } : {}), family: rows.filter((p) => !p.isSelf) };
}

/** The account holder's own person record, if they have declared. */
export async function selfPerson(db: DbOrTx, accountId: string): Promise<Person | undefined> {
  return (await accountPersons(db, accountId)).self;
}

/** Family members declared by this account (khai hộ), oldest first. */
export async function familyMembers(db: DbOrTx, accountId: string): Promise<Person[]> {
  return (await accountPersons(db, accountId)).family;
}

/**
 * A resident's person record: declared in a chat (an owner account) or by venue staff at the door (none). A
 * person held after /xoadulieu (hold.ts) is not one any more: their passes and cards no longer verify, and
 * nobody checks them in.
 */
export async function personById(db: DbOrTx, personId: string): Promise<Person | undefined> {
  return db.query.persons.findFirst({ where: and(eq(persons.id, personId), isNull(persons.holdUntil)) });
}

export async function latestDeclaration(db: DbOrTx, personId: string): Promise<Declaration | undefined> {
  return db.query.declarations.findFirst({
    where: eq(declarations.personId, personId),
    orderBy: [desc(declarations.declaredAt)],
  });
}

/** True when the person's latest declaration is younger than `validHours` (PASS_VALID_HOURS). */
export async function hasValidDeclaration(
  db: DbOrTx,
  personId: string,
  now: Date,
  validHours: number,
): Promise<boolean> {
  const d = await latestDeclaration(db, personId);
  return !!d && now.getTime() - d.declaredAt.getTime() < validHours * 3_600_000;
}

/**
 * Profile fields of a person as the declaration dialog collects them: the person's columns (one per profile
 * question, see health-form/questions.ts), the national ID already encrypted (undefined = leave as stored).
 */
export type ProfileInput = Omit<
  typeof persons.$inferInsert,
  | 'id'
  | 'ownerAccountId'
  | 'isSelf'
  | 'createdAt'
  | 'updatedAt'
  | 'idNumberEnc'
  | 'idNumberLast4'
  | 'idNumberHash'
  | 'idKind'
> & { idNumber?: { enc: string; last4: string; hash?: string; kind: string } | null };

/**
 * Creates or updates a person owned by `accountId`. For the account holder (`isSelf`), the account's personId
 * is pointed at the record. Returns the person as stored.
 */
export async function savePerson(
  db: DbOrTx,
  /** null: a person without an account (declared by venue staff at the door, checkin/scanner.ts) */
  accountId: string | null,
  profile: ProfileInput,
  opts: { personId?: string; isSelf: boolean; now: Date },
): Promise<Person> {
  const { idNumber, ...columns } = profile;
  const values = {
    ...columns,
    updatedAt: opts.now,
    ...(idNumber === undefined
      ? {}
      : {
          idNumberEnc: idNumber?.enc ?? null,
          idNumberLast4: idNumber?.last4 ?? null,
          idNumberHash: idNumber?.hash ?? null,
          idKind: idNumber?.kind ?? null,
        }),
  };
  if (opts.personId && accountId) {
    const [row] = await db
      .update(persons)
      .set(values)
      .where(and(eq(persons.id, opts.personId), eq(persons.ownerAccountId, accountId)))
      .returning();
    if (row) return row;
  }
  const [row] = await db
    .insert(persons)
    .values({ ...values, ownerAccountId: accountId, isSelf: opts.isSelf, createdAt: opts.now })
    .returning();
  if (opts.isSelf && accountId) await db.update(accounts).set({ personId: row!.id }).where(eq(accounts.id, accountId));
  return row!;
}

/** One declaration's answers: a column per health question (health-form/questions.ts). */
export type HealthInput = Omit<
  typeof declarations.$inferInsert,
  'id' | 'personId' | 'declaredByAccountId' | 'declaredAt'
>;

export async function addDeclaration(
  db: DbOrTx,
  personId: string,
  accountId: string,
  health: HealthInput,
  now: Date,
): Promise<Declaration> {
  const [row] = await db
    .insert(declarations)
    .values({ ...health, personId, declaredByAccountId: accountId, declaredAt: now })
    .returning();
  return row!;
}

/** A person only if `accountId` owns it (family actions must never reach someone else's records). */
export async function ownedPerson(db: DbOrTx, accountId: string, personId: string): Promise<Person | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(personId)) return undefined;
  return db.query.persons.findFirst({ where: and(eq(persons.id, personId), eq(persons.ownerAccountId, accountId)) });
}

/** Removes a family member and, through foreign keys, their declarations, visits and contacts. */
export async function removeFamilyMember(db: DbOrTx, accountId: string, personId: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(personId)) return false;
  const rows = await db
    .delete(persons)
    .where(and(eq(persons.id, personId), eq(persons.ownerAccountId, accountId), eq(persons.isSelf, false)))
    .returning({ id: persons.id });
  return rows.length > 0;
}

/**
 * Deletes everything held about an account: its persons (self and family: declarations, visits, contacts
 * cascade; their cases are made anonymous), then the account row (dialog state, outbox rows, roles, staff rights
 * cascade; references from official records such as venues or cases are set null by their foreign keys).
 * A person who is an open case or in an exposure follow-up keeps only the health record that needs (hold.ts)
 * until the period ends: `held` names them.
 */
export async function deleteAccountData(
  db: DbOrTx,
  accountId: string,
  now: Date,
): Promise<{ persons: number; personIds: string[]; held: HeldPerson[] }> {
  const held = await holdHealthRecords(db, accountId, now);
  // A case stays as the health department's record (its windows still explain the alerts it sent), but
  // anonymous: the foreign key clears person_id, and the phone it was found by goes here.
  const owned = db.select({ id: persons.id }).from(persons).where(eq(persons.ownerAccountId, accountId));
  await db.update(cases).set({ phone: null }).where(inArray(cases.personId, owned));
  const removed = await db.delete(persons).where(eq(persons.ownerAccountId, accountId)).returning({ id: persons.id });
  await db.delete(accounts).where(eq(accounts.id, accountId));
  return { persons: removed.length, personIds: removed.map((r) => r.id), held };
}

/**
 * Gives ID numbers stored before the lookup hash existed their hash (decrypting each with the data key), in
 * batches; returns how many were done. New numbers get theirs when stored (encryptNationalId).
 */
export async function backfillIdNumberHashes(
  db: DbOrTx,
  keys: { dataKey: Buffer; idLookupKey: Buffer },
  batch = 500,
): Promise<number> {
  const rows = await db
    .select({ id: persons.id, enc: persons.idNumberEnc })
    .from(persons)
    .where(and(isNotNull(persons.idNumberEnc), isNull(persons.idNumberHash)))
    .limit(batch);
  let done = 0;
  for (const r of rows) {
    let hash: string;
    try {
      hash = nationalIdLookupHash(keys.idLookupKey, decryptNationalId(keys.dataKey, r.enc!));
    } catch {
      hash = 'undecryptable'; // never matches a real hash; not tried again
    }
    await db.update(persons).set({ idNumberHash: hash }).where(eq(persons.id, r.id));
    done++;
  }
  return done;
}

import { and, asc, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { declarations, persons, type Declaration, type Person } from '../../db/schema/index.js';

/** The account holder's own person record, if they have declared. */
export async function selfPerson(db: DbOrTx, accountId: string): Promise<Person | undefined> {
  return db.query.persons.findFirst({
    where: and(eq(persons.ownerAccountId, accountId), eq(persons.isSelf, true)),
  });
}

/** Family members declared by this account (khai hộ), oldest first. */
export async function familyMembers(db: DbOrTx, accountId: string): Promise<Person[]> {
  return db.query.persons.findMany({
    where: and(eq(persons.ownerAccountId, accountId), eq(persons.isSelf, false)),
    orderBy: [asc(persons.createdAt)],
  });
}

export async function personById(db: DbOrTx, personId: string): Promise<Person | undefined> {
  return db.query.persons.findFirst({ where: eq(persons.id, personId) });
}

export async function latestDeclaration(db: DbOrTx, personId: string): Promise<Declaration | undefined> {
  return db.query.declarations.findFirst({
    where: eq(declarations.personId, personId),
    orderBy: [desc(declarations.declaredAt)],
  });
}

/** True when the person's latest declaration is younger than `validHours` (PASS_VALID_HOURS). */
export async function hasValidDeclaration(db: DbOrTx, personId: string, now: Date, validHours: number): Promise<boolean> {
  const d = await latestDeclaration(db, personId);
  return !!d && now.getTime() - d.declaredAt.getTime() < validHours * 3_600_000;
}

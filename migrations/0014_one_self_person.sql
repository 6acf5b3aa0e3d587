-- One own person per account. Nothing stopped a second one before: where an account has several, the first made
-- (the one the service already showed as the account's own, people/store.ts accountPersons) stays its own and the
-- others become its family members, with their declarations and visits.
UPDATE "persons" SET "is_self" = false
WHERE "id" IN (
  SELECT "id" FROM (
    SELECT "id", row_number() OVER (PARTITION BY "owner_account_id" ORDER BY "created_at", "id") AS "n"
    FROM "persons" WHERE "is_self" AND "owner_account_id" IS NOT NULL
  ) "ranked" WHERE "n" > 1
);--> statement-breakpoint
CREATE UNIQUE INDEX "persons_one_self_idx" ON "persons" USING btree ("owner_account_id") WHERE "persons"."is_self";

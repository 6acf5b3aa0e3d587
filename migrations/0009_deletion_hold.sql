ALTER TABLE "persons" ALTER COLUMN "owner_account_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "hold_until" timestamp with time zone;
ALTER TABLE "persons" ALTER COLUMN "owner_account_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "declarations" ADD COLUMN "symptoms_other" text;--> statement-breakpoint
ALTER TABLE "declarations" ADD COLUMN "nationality" text;--> statement-breakpoint
ALTER TABLE "declarations" ADD COLUMN "chronic_conditions" text[];--> statement-breakpoint
ALTER TABLE "declarations" ADD COLUMN "chronic_other" text;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "nationality" text DEFAULT 'Việt Nam' NOT NULL;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "chronic_conditions" text[];--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "chronic_other" text;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "hold_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "wards" ADD COLUMN "hotline" text;
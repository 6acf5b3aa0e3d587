ALTER TABLE "venues" ADD COLUMN "required_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "venues" ADD COLUMN "claim_code" text;--> statement-breakpoint
ALTER TABLE "venues" ADD COLUMN "claimed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "venues_required_ward_idx" ON "venues" USING btree ("ward_code") WHERE "required_at" is not null;--> statement-breakpoint
ALTER TABLE "venues" ADD CONSTRAINT "venues_claim_code_unique" UNIQUE("claim_code");
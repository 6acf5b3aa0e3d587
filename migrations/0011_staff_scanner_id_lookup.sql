ALTER TABLE "persons" ADD COLUMN "id_number_hash" text;--> statement-breakpoint
ALTER TABLE "venues" ADD COLUMN "auto_record_green" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "persons_id_number_hash_idx" ON "persons" USING btree ("id_number_hash");
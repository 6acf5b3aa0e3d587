ALTER TABLE "broadcasts" ADD COLUMN "progress_text" text;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "progress_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "cancelled_by" text;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "final_counts" jsonb;--> statement-breakpoint
CREATE INDEX "broadcasts_status_idx" ON "broadcasts" USING btree ("status","scheduled_at");
CREATE TABLE "send_rates" (
	"channel" text PRIMARY KEY NOT NULL,
	"next_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "outbox_chat_open_idx" ON "outbox" USING btree ("account_id","created_at","id") WHERE status in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "outbox_chat_sent_idx" ON "outbox" USING btree ("account_id","sent_at") WHERE sent_at is not null;
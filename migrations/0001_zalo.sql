CREATE TABLE "zalo_menus" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"payloads" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "zalo_menus" ADD CONSTRAINT "zalo_menus_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;
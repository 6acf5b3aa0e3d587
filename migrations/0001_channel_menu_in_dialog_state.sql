DROP TABLE "zalo_menus" CASCADE;--> statement-breakpoint
ALTER TABLE "dialog_states" ADD COLUMN "menu" jsonb;
CREATE TABLE "followup_reported" (
	"declaration_id" uuid PRIMARY KEY NOT NULL,
	"reported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "followups" (
	"person_id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"note" text,
	"negative_at" timestamp with time zone,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "invites" ADD COLUMN "ward_codes" text[];--> statement-breakpoint
ALTER TABLE "invites" ADD COLUMN "district_code" text;--> statement-breakpoint
ALTER TABLE "official_roles" ADD COLUMN "ward_codes" text[];--> statement-breakpoint
ALTER TABLE "official_roles" ADD COLUMN "district_code" text;--> statement-breakpoint
ALTER TABLE "followup_reported" ADD CONSTRAINT "followup_reported_declaration_id_declarations_id_fk" FOREIGN KEY ("declaration_id") REFERENCES "public"."declarations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "followups" ADD CONSTRAINT "followups_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE cascade ON UPDATE no action;
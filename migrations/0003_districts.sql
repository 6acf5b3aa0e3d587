CREATE TABLE "districts" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"province_code" text NOT NULL,
	"province" text NOT NULL,
	"search_name" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "province_code" text;--> statement-breakpoint
ALTER TABLE "wards" ADD COLUMN "district_code" text;--> statement-breakpoint
CREATE INDEX "districts_search_idx" ON "districts" USING btree ("search_name");--> statement-breakpoint
ALTER TABLE "wards" ADD CONSTRAINT "wards_district_code_districts_code_fk" FOREIGN KEY ("district_code") REFERENCES "public"."districts"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "wards_district_idx" ON "wards" USING btree ("district_code");
CREATE TABLE "trip_timetables" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"venue_id" uuid NOT NULL,
	"weekday" smallint NOT NULL,
	"departs" text NOT NULL,
	"duration_minutes" integer NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trips" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"venue_id" uuid NOT NULL,
	"departs_at" timestamp with time zone NOT NULL,
	"arrives_at" timestamp with time zone NOT NULL,
	"label" text,
	"timetable_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trips_arrives_after_ck" CHECK ("trips"."arrives_at" > "trips"."departs_at")
);
--> statement-breakpoint
ALTER TABLE "venues" ADD COLUMN "plate" text;--> statement-breakpoint
ALTER TABLE "venues" ADD COLUMN "route" text;--> statement-breakpoint
ALTER TABLE "visits" ADD COLUMN "trip_id" uuid;--> statement-breakpoint
ALTER TABLE "visits" ADD COLUMN "seat" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "import_source" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "import_place" text;--> statement-breakpoint
ALTER TABLE "exposure_windows" ADD COLUMN "trip_id" uuid;--> statement-breakpoint
ALTER TABLE "exposure_windows" ADD COLUMN "seat" text;--> statement-breakpoint
ALTER TABLE "trip_timetables" ADD CONSTRAINT "trip_timetables_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trips" ADD CONSTRAINT "trips_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trips" ADD CONSTRAINT "trips_timetable_id_trip_timetables_id_fk" FOREIGN KEY ("timetable_id") REFERENCES "public"."trip_timetables"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "trip_timetables_uq" ON "trip_timetables" USING btree ("venue_id","weekday","departs");--> statement-breakpoint
CREATE UNIQUE INDEX "trips_venue_departs_uq" ON "trips" USING btree ("venue_id","departs_at");--> statement-breakpoint
ALTER TABLE "visits" ADD CONSTRAINT "visits_trip_id_trips_id_fk" FOREIGN KEY ("trip_id") REFERENCES "public"."trips"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exposure_windows" ADD CONSTRAINT "exposure_windows_trip_id_trips_id_fk" FOREIGN KEY ("trip_id") REFERENCES "public"."trips"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "visits_trip_idx" ON "visits" USING btree ("trip_id");
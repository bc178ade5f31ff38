CREATE TABLE "invitation_rollup_deltas" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"grain" text NOT NULL,
	"dim" text NOT NULL,
	"dim_key" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"survey_id" uuid NOT NULL,
	"score" integer NOT NULL,
	"shared" integer NOT NULL,
	"weighted" numeric NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invitation_rollups" (
	"grain" text NOT NULL,
	"dim" text NOT NULL,
	"dim_key" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"survey_id" uuid NOT NULL,
	"score" integer NOT NULL,
	"shared" integer NOT NULL,
	"weighted" numeric NOT NULL,
	CONSTRAINT "invitation_rollups_dim_grain_survey_id_bucket_dim_key_score_pk" PRIMARY KEY("dim","grain","survey_id","bucket","dim_key","score")
);
--> statement-breakpoint
CREATE INDEX "invitation_rollup_deltas_dim_grain_bucket_index" ON "invitation_rollup_deltas" USING btree ("dim","grain","bucket");
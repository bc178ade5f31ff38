CREATE TABLE "metric_rollup_deltas" (
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
CREATE TABLE "metric_rollups" (
	"grain" text NOT NULL,
	"dim" text NOT NULL,
	"dim_key" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"survey_id" uuid NOT NULL,
	"score" integer NOT NULL,
	"shared" integer NOT NULL,
	"weighted" numeric NOT NULL,
	CONSTRAINT "metric_rollups_dim_grain_bucket_dim_key_survey_id_score_pk" PRIMARY KEY("dim","grain","bucket","dim_key","survey_id","score")
);
--> statement-breakpoint
CREATE TABLE "response_feed_positions" (
	"response_id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint
);
--> statement-breakpoint
CREATE TABLE "work_item_credits" (
	"work_item_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"team_id" uuid NOT NULL,
	"weight" numeric NOT NULL,
	CONSTRAINT "work_item_credits_work_item_id_member_id_team_id_pk" PRIMARY KEY("work_item_id","member_id","team_id")
);
--> statement-breakpoint
ALTER TABLE "response_feed_positions" ADD CONSTRAINT "response_feed_positions_response_id_responses_id_fk" FOREIGN KEY ("response_id") REFERENCES "public"."responses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_item_credits" ADD CONSTRAINT "work_item_credits_work_item_id_work_items_id_fk" FOREIGN KEY ("work_item_id") REFERENCES "public"."work_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_item_credits" ADD CONSTRAINT "work_item_credits_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_item_credits" ADD CONSTRAINT "work_item_credits_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "metric_rollup_deltas_dim_grain_bucket_index" ON "metric_rollup_deltas" USING btree ("dim","grain","bucket");--> statement-breakpoint
CREATE INDEX "response_feed_positions_seq_index" ON "response_feed_positions" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "response_feed_positions_pending_idx" ON "response_feed_positions" USING btree ("response_id") WHERE seq is null;
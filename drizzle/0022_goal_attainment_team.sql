-- A frozen period keeps the team and member its goal had when it froze. Rows frozen before
-- this column existed take the goal's team and member as they are now: the best record there is.
ALTER TABLE "goal_attainments" ADD COLUMN "team_id" uuid;--> statement-breakpoint
ALTER TABLE "goal_attainments" ADD COLUMN "member_id" uuid;--> statement-breakpoint
UPDATE "goal_attainments" a SET "team_id" = g."team_id", "member_id" = g."member_id"
  FROM "goals" g WHERE g."id" = a."goal_id";--> statement-breakpoint
ALTER TABLE "goal_attainments" ALTER COLUMN "team_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "goal_attainments" ADD CONSTRAINT "goal_attainments_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "goal_attainments" ADD CONSTRAINT "goal_attainments_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;

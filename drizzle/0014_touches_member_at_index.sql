-- A later touch of a member is looked up by (member, time): one index probe, where the
-- member-only index scanned every touch the member ever had.
DROP INDEX "touches_member_id_index";--> statement-breakpoint
CREATE INDEX "touches_member_id_at_index" ON "touches" USING btree ("member_id","at");
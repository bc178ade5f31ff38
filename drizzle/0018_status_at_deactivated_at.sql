ALTER TABLE "goals" ADD COLUMN "deactivated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "work_items" ADD COLUMN "status_at" timestamp with time zone;--> statement-breakpoint
-- Items recorded before: the newest close or reopen stored for each.
UPDATE "work_items" w SET "status_at" = e.latest
  FROM (SELECT work_item_id, max(occurred_at) AS latest FROM events
        WHERE work_item_id IS NOT NULL
          AND type IN ('ticket.closed', 'project.completed', 'ticket.reopened')
        GROUP BY work_item_id) e
  WHERE e.work_item_id = w.id;
--> statement-breakpoint
-- Goals deactivated before: their last edit is the best known moment.
UPDATE "goals" SET "deactivated_at" = "updated_at" WHERE NOT "active";

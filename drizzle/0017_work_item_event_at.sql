ALTER TABLE "work_items" ADD COLUMN "event_at" timestamp with time zone;--> statement-breakpoint
-- Items recorded before: the newest event already applied to each.
UPDATE "work_items" w SET "event_at" = e.latest
  FROM (SELECT work_item_id, max(occurred_at) AS latest FROM events
        WHERE work_item_id IS NOT NULL GROUP BY work_item_id) e
  WHERE e.work_item_id = w.id;

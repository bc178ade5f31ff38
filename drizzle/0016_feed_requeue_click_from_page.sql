CREATE TABLE "feed_requeue" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"work_item_id" uuid NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clicks" ADD COLUMN "from_page" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Webhook deliveries now take the clock's instant (milliseconds, like their page cursor); rows
-- made with the database default keep microseconds, which the cursor cannot tell apart.
UPDATE "webhook_deliveries" SET "created_at" = date_trunc('milliseconds', "created_at")
  WHERE "created_at" <> date_trunc('milliseconds', "created_at");
--> statement-breakpoint
-- Touch writes also queue their items for the feed when the items have responses: a late touch
-- changes those responses' attribution, so the feed hands them out again. Queued by an insert,
-- never by updating positions here: a touch holds its item's lock, and a response change takes
-- its position before the item.
CREATE OR REPLACE FUNCTION rapport_touches_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT DISTINCT work_item_id FROM new_touches) AS i ORDER BY i.work_item_id;
    INSERT INTO feed_requeue (work_item_id)
      SELECT i.work_item_id FROM (SELECT DISTINCT work_item_id FROM new_touches) AS i
      WHERE EXISTS (SELECT 1 FROM responses r WHERE r.work_item_id = i.work_item_id);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT DISTINCT work_item_id FROM old_touches) AS i ORDER BY i.work_item_id;
    INSERT INTO feed_requeue (work_item_id)
      SELECT i.work_item_id FROM (SELECT DISTINCT work_item_id FROM old_touches) AS i
      WHERE EXISTS (SELECT 1 FROM responses r WHERE r.work_item_id = i.work_item_id);
  ELSE
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT work_item_id FROM old_touches UNION SELECT work_item_id FROM new_touches) AS i
      ORDER BY i.work_item_id;
    INSERT INTO feed_requeue (work_item_id)
      SELECT i.work_item_id
      FROM (SELECT work_item_id FROM old_touches UNION SELECT work_item_id FROM new_touches) AS i
      WHERE EXISTS (SELECT 1 FROM responses r WHERE r.work_item_id = i.work_item_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A board change is in every feed entry of the item.
CREATE FUNCTION rapport_work_items_board_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO feed_requeue (work_item_id)
    SELECT NEW.id WHERE EXISTS (SELECT 1 FROM responses r WHERE r.work_item_id = NEW.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER work_items_board_feed AFTER UPDATE OF board ON work_items
  FOR EACH ROW WHEN (OLD.board IS DISTINCT FROM NEW.board)
  EXECUTE FUNCTION rapport_work_items_board_feed();
--> statement-breakpoint
-- The feed's high-water mark. Numbering above max(seq) was not enough: when the response with
-- the highest number changed, its position was cleared first, and it got its old number again,
-- which a reader's cursor had already passed.
CREATE SEQUENCE response_feed_seq;
--> statement-breakpoint
SELECT setval('response_feed_seq', (SELECT coalesce(max(seq), 0) FROM response_feed_positions) + 1, false);
--> statement-breakpoint
-- The numberer first clears the positions of queued items' responses, then numbers every
-- position without one, above every number handed out before. A position another transaction
-- holds is skipped: that transaction is a change of the response, which clears it itself.
CREATE OR REPLACE FUNCTION rapport_assign_feed_positions(p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_base bigint;
  v_assigned integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(72616114) THEN
    RETURN 0;
  END IF;
  v_base := nextval('response_feed_seq') - 1;
  WITH queued AS (
    DELETE FROM feed_requeue WHERE id IN (
      SELECT id FROM feed_requeue ORDER BY id LIMIT p_limit FOR UPDATE SKIP LOCKED
    ) RETURNING work_item_id
  ), requeued AS (
    SELECT p.response_id FROM response_feed_positions p
    JOIN responses r ON r.id = p.response_id
    WHERE r.work_item_id IN (SELECT work_item_id FROM queued) AND p.seq IS NOT NULL
    FOR UPDATE OF p SKIP LOCKED
  )
  UPDATE response_feed_positions p SET seq = NULL
  FROM requeued WHERE p.response_id = requeued.response_id;
  WITH pending AS (
    SELECT p.response_id FROM response_feed_positions p
    WHERE p.seq IS NULL LIMIT p_limit FOR UPDATE OF p SKIP LOCKED
  ), numbered AS (
    SELECT pending.response_id, row_number() OVER (ORDER BY r.updated_at, r.id) AS n
    FROM pending JOIN responses r ON r.id = pending.response_id
  )
  UPDATE response_feed_positions p SET seq = v_base + numbered.n
  FROM numbered WHERE p.response_id = numbered.response_id;
  GET DIAGNOSTICS v_assigned = ROW_COUNT;
  PERFORM setval('response_feed_seq', v_base + v_assigned + 1, false);
  RETURN v_assigned;
END $$;

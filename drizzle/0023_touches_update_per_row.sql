-- An upsert of touches (`insert ... on conflict do update`) fires the UPDATE statement trigger
-- even when no row was updated, and intake upserts every event's touches: each event paid for a
-- trigger call and two empty transition tables. Updates (a time entry's minutes corrected) are
-- rare, so they refresh their item from a row trigger, which fires only for rows that changed.
DROP TRIGGER touches_rollup_update ON touches;
--> statement-breakpoint
CREATE FUNCTION rapport_touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rapport_refresh_item(i.work_item_id)
    FROM (SELECT OLD.work_item_id AS work_item_id UNION SELECT NEW.work_item_id) AS i
    ORDER BY i.work_item_id;
  INSERT INTO feed_requeue (work_item_id)
    SELECT i.work_item_id
    FROM (SELECT OLD.work_item_id AS work_item_id UNION SELECT NEW.work_item_id) AS i
    WHERE EXISTS (SELECT 1 FROM responses r WHERE r.work_item_id = i.work_item_id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER touches_rollup_update AFTER UPDATE ON touches
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION rapport_touch_updated();
--> statement-breakpoint
-- The statement trigger's function now serves inserts and deletes only.
CREATE OR REPLACE FUNCTION rapport_touches_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT DISTINCT work_item_id FROM new_touches) AS i ORDER BY i.work_item_id;
    INSERT INTO feed_requeue (work_item_id)
      SELECT i.work_item_id FROM (SELECT DISTINCT work_item_id FROM new_touches) AS i
      WHERE EXISTS (SELECT 1 FROM responses r WHERE r.work_item_id = i.work_item_id);
  ELSE
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT DISTINCT work_item_id FROM old_touches) AS i ORDER BY i.work_item_id;
    INSERT INTO feed_requeue (work_item_id)
      SELECT i.work_item_id FROM (SELECT DISTINCT work_item_id FROM old_touches) AS i
      WHERE EXISTS (SELECT 1 FROM responses r WHERE r.work_item_id = i.work_item_id);
  END IF;
  RETURN NULL;
END $$;

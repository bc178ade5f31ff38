-- Touch writes refresh each affected work item's credits once per statement, not once per row:
-- an event recording three touches on one item recomputes its credit lines once. Transition
-- tables need one trigger per kind of write; items are refreshed in id order, so two
-- statements touching the same items never wait on each other in opposite orders.
DROP TRIGGER touches_rollup ON touches;
--> statement-breakpoint
DROP FUNCTION rapport_touches_rollup();
--> statement-breakpoint
-- Each branch reads only the transition tables its trigger declares.
CREATE FUNCTION rapport_touches_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT DISTINCT work_item_id FROM new_touches) AS i ORDER BY i.work_item_id;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT DISTINCT work_item_id FROM old_touches) AS i ORDER BY i.work_item_id;
  ELSE
    PERFORM rapport_refresh_item(i.work_item_id)
      FROM (SELECT work_item_id FROM old_touches UNION SELECT work_item_id FROM new_touches) AS i
      ORDER BY i.work_item_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER touches_rollup_insert AFTER INSERT ON touches
  REFERENCING NEW TABLE AS new_touches
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_touches_refresh();
--> statement-breakpoint
CREATE TRIGGER touches_rollup_update AFTER UPDATE ON touches
  REFERENCING OLD TABLE AS old_touches NEW TABLE AS new_touches
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_touches_refresh();
--> statement-breakpoint
CREATE TRIGGER touches_rollup_delete AFTER DELETE ON touches
  REFERENCING OLD TABLE AS old_touches
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_touches_refresh();

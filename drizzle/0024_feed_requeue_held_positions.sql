-- The numberer clears the positions of queued items' responses, then numbers every position
-- without one, above every number handed out before. A position another transaction holds is
-- skipped, and its item is queued again: that transaction may be a change of the response, which
-- clears the position itself when it commits, but if it rolls back the item's requeue (a late
-- touch's new attribution) would otherwise be lost. An item queued again while the other
-- transaction commits only hands its responses out once more.
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
  ), cleared AS (
    UPDATE response_feed_positions p SET seq = NULL
    FROM requeued WHERE p.response_id = requeued.response_id
    RETURNING p.response_id
  )
  INSERT INTO feed_requeue (work_item_id)
    SELECT DISTINCT q.work_item_id FROM queued q
    WHERE EXISTS (
      SELECT 1 FROM response_feed_positions p JOIN responses r ON r.id = p.response_id
      WHERE r.work_item_id = q.work_item_id AND p.seq IS NOT NULL
        AND p.response_id NOT IN (SELECT response_id FROM cleared)
    );
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

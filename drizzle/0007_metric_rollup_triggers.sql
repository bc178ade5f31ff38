-- Attribution and metric rollups, kept exact by triggers whoever writes.
-- A work item's credit lines: one per (member, team) pair that touched it. Weight = the pair's
-- touch minutes / all touch minutes on the item; when no minutes are known, 1 / number of pairs.
CREATE OR REPLACE VIEW work_item_credit_lines AS
SELECT p.work_item_id, p.member_id, p.team_id,
  CASE WHEN sum(p.minutes) OVER w > 0 THEN p.minutes::numeric / sum(p.minutes) OVER w
       ELSE 1::numeric / count(*) OVER w END AS weight
FROM (
  SELECT work_item_id, member_id, team_id, sum(coalesce(minutes, 0))::bigint AS minutes
  FROM touches GROUP BY work_item_id, member_id, team_id
) p
WINDOW w AS (PARTITION BY p.work_item_id);
--> statement-breakpoint
-- Writes one response's contribution (sign +1 or -1) to every rollup it belongs to, for both
-- grains, as insert-only deltas. Team and member credit come from the item's stored lines.
CREATE OR REPLACE FUNCTION rapport_rollup_emit(
  p_sign integer, p_survey uuid, p_score integer, p_at timestamptz, p_client uuid,
  p_item uuid, p_board text, p_board_only boolean
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO metric_rollup_deltas (grain, dim, dim_key, bucket, survey_id, score, shared, weighted)
  SELECT g.grain, d.dim, d.dim_key,
    date_trunc(g.grain, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
    p_survey, p_score, p_sign * d.shared, p_sign * d.weighted
  FROM (VALUES ('day'), ('hour')) AS g(grain)
  CROSS JOIN (
    SELECT 'all'::text AS dim, ''::text AS dim_key, 1 AS shared, 1::numeric AS weighted
      WHERE NOT p_board_only
    UNION ALL SELECT 'client', p_client::text, 1, 1 WHERE NOT p_board_only
    UNION ALL SELECT 'board', p_board, 1, 1 WHERE p_board IS NOT NULL
    UNION ALL SELECT 'escalation',
        CASE count(DISTINCT c.team_id) WHEN 0 THEN 'untouched' WHEN 1 THEN 'single-team'
          ELSE 'multi-team' END, 1, 1
      FROM work_item_credits c WHERE c.work_item_id = p_item HAVING NOT p_board_only
    UNION ALL SELECT 'team', c.team_id::text, 1, sum(c.weight)
      FROM work_item_credits c WHERE c.work_item_id = p_item AND NOT p_board_only
      GROUP BY c.team_id
    UNION ALL SELECT 'member', c.member_id::text, 1, sum(c.weight)
      FROM work_item_credits c WHERE c.work_item_id = p_item AND NOT p_board_only
      GROUP BY c.member_id
  ) d;
END $$;
--> statement-breakpoint
-- Recomputes a work item's credit lines and moves its recorded responses' contributions from
-- the old lines to the new. The item row lock serialises this with response writes on the item.
CREATE OR REPLACE FUNCTION rapport_refresh_item(p_item uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
  v_board text;
BEGIN
  SELECT board INTO v_board FROM work_items WHERE id = p_item FOR NO KEY UPDATE;
  FOR r IN SELECT survey_id, score, responded_at, client_id FROM responses
    WHERE work_item_id = p_item AND state = 'recorded' LOOP
    PERFORM rapport_rollup_emit(-1, r.survey_id, r.score, r.responded_at, r.client_id, p_item, v_board, false);
  END LOOP;
  DELETE FROM work_item_credits WHERE work_item_id = p_item;
  INSERT INTO work_item_credits (work_item_id, member_id, team_id, weight)
    SELECT work_item_id, member_id, team_id, weight FROM work_item_credit_lines
    WHERE work_item_id = p_item;
  FOR r IN SELECT survey_id, score, responded_at, client_id FROM responses
    WHERE work_item_id = p_item AND state = 'recorded' LOOP
    PERFORM rapport_rollup_emit(1, r.survey_id, r.score, r.responded_at, r.client_id, p_item, v_board, false);
  END LOOP;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION rapport_touches_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.work_item_id IS DISTINCT FROM NEW.work_item_id THEN
    -- Lock both items in id order so two moves never wait on each other.
    PERFORM rapport_refresh_item(i) FROM unnest(ARRAY[OLD.work_item_id, NEW.work_item_id]) AS i ORDER BY i;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM rapport_refresh_item(OLD.work_item_id);
  ELSE
    PERFORM rapport_refresh_item(NEW.work_item_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER touches_rollup AFTER INSERT OR UPDATE OR DELETE ON touches
  FOR EACH ROW EXECUTE FUNCTION rapport_touches_rollup();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION rapport_responses_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_old boolean := TG_OP <> 'INSERT' AND OLD.state = 'recorded';
  v_new boolean := TG_OP <> 'DELETE' AND NEW.state = 'recorded';
  v_board text;
BEGIN
  IF TG_OP = 'UPDATE' AND v_old = v_new
    AND OLD.score = NEW.score AND OLD.survey_id = NEW.survey_id
    AND OLD.responded_at = NEW.responded_at AND OLD.client_id = NEW.client_id
    AND OLD.work_item_id IS NOT DISTINCT FROM NEW.work_item_id THEN
    RETURN NULL;
  END IF;
  -- The item locks serialise with touch and board changes on the same items (see refresh).
  PERFORM 1 FROM work_items WHERE id IN (
    SELECT OLD.work_item_id WHERE v_old UNION SELECT NEW.work_item_id WHERE v_new
  ) ORDER BY id FOR NO KEY UPDATE;
  IF v_old THEN
    SELECT board INTO v_board FROM work_items WHERE id = OLD.work_item_id;
    PERFORM rapport_rollup_emit(-1, OLD.survey_id, OLD.score, OLD.responded_at, OLD.client_id,
      OLD.work_item_id, v_board, false);
  END IF;
  IF v_new THEN
    v_board := NULL;
    SELECT board INTO v_board FROM work_items WHERE id = NEW.work_item_id;
    PERFORM rapport_rollup_emit(1, NEW.survey_id, NEW.score, NEW.responded_at, NEW.client_id,
      NEW.work_item_id, v_board, false);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER responses_rollup AFTER INSERT OR UPDATE OR DELETE ON responses
  FOR EACH ROW EXECUTE FUNCTION rapport_responses_rollup();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION rapport_work_items_board_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT survey_id, score, responded_at, client_id FROM responses
    WHERE work_item_id = NEW.id AND state = 'recorded' LOOP
    PERFORM rapport_rollup_emit(-1, r.survey_id, r.score, r.responded_at, r.client_id, NEW.id, OLD.board, true);
    PERFORM rapport_rollup_emit(1, r.survey_id, r.score, r.responded_at, r.client_id, NEW.id, NEW.board, true);
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER work_items_board_rollup AFTER UPDATE OF board ON work_items
  FOR EACH ROW WHEN (OLD.board IS DISTINCT FROM NEW.board)
  EXECUTE FUNCTION rapport_work_items_board_rollup();
--> statement-breakpoint
-- Folds pending deltas into the rollups, one folder at a time; rows are upserted in key order.
CREATE OR REPLACE FUNCTION rapport_rollup_fold(p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_moved integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(72616113) THEN
    RETURN 0;
  END IF;
  WITH batch AS (
    DELETE FROM metric_rollup_deltas WHERE id IN (
      SELECT id FROM metric_rollup_deltas ORDER BY id LIMIT p_limit
    ) RETURNING *
  ), summed AS (
    SELECT dim, grain, bucket, dim_key, survey_id, score,
      sum(shared)::integer AS shared, sum(weighted) AS weighted, count(*) AS n
    FROM batch GROUP BY dim, grain, bucket, dim_key, survey_id, score
  ), applied AS (
    INSERT INTO metric_rollups AS m (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT dim, grain, bucket, dim_key, survey_id, score, shared, weighted FROM summed
    ORDER BY dim, grain, bucket, dim_key, survey_id, score
    ON CONFLICT (dim, grain, bucket, dim_key, survey_id, score) DO UPDATE
      SET shared = m.shared + excluded.shared, weighted = m.weighted + excluded.weighted
    RETURNING 1
  )
  SELECT coalesce(sum(n), 0)::integer INTO v_moved FROM summed;
  RETURN v_moved;
END $$;
--> statement-breakpoint
-- Recomputes every credit line and rollup from the source tables (after bulk loads with
-- triggers off, or to prove the rollups right). Day rows are summed from the hour rows.
CREATE OR REPLACE FUNCTION rapport_rollup_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM metric_rollup_deltas;
  DELETE FROM metric_rollups;
  DELETE FROM work_item_credits;
  INSERT INTO work_item_credits (work_item_id, member_id, team_id, weight)
    SELECT work_item_id, member_id, team_id, weight FROM work_item_credit_lines;
  DROP TABLE IF EXISTS rapport_item_dims;
  CREATE TEMP TABLE rapport_item_dims ON COMMIT DROP AS
    SELECT c.work_item_id, 'team'::text AS dim, c.team_id::text AS dim_key, sum(c.weight) AS weighted
      FROM work_item_credits c GROUP BY c.work_item_id, c.team_id
    UNION ALL SELECT c.work_item_id, 'member', c.member_id::text, sum(c.weight)
      FROM work_item_credits c GROUP BY c.work_item_id, c.member_id
    UNION ALL SELECT c.work_item_id, 'escalation',
        CASE WHEN count(DISTINCT c.team_id) = 1 THEN 'single-team' ELSE 'multi-team' END, 1
      FROM work_item_credits c GROUP BY c.work_item_id;
  CREATE INDEX ON rapport_item_dims (work_item_id);
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
  SELECT d.dim, 'hour', date_trunc('hour', r.responded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
    d.dim_key, r.survey_id, r.score, count(*)::integer, sum(d.weighted)
  FROM responses r
  LEFT JOIN work_items w ON w.id = r.work_item_id
  CROSS JOIN LATERAL (
    SELECT 'all'::text AS dim, ''::text AS dim_key, 1::numeric AS weighted
    UNION ALL SELECT 'client', r.client_id::text, 1
    UNION ALL SELECT 'board', w.board, 1 WHERE w.board IS NOT NULL
    UNION ALL SELECT 'escalation', 'untouched', 1 WHERE NOT EXISTS (
      SELECT 1 FROM work_item_credits c WHERE c.work_item_id = r.work_item_id)
    UNION ALL SELECT i.dim, i.dim_key, i.weighted FROM rapport_item_dims i
      WHERE i.work_item_id = r.work_item_id
  ) d
  WHERE r.state = 'recorded'
  GROUP BY 1, 2, 3, 4, 5, 6;
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
  SELECT dim, 'day', date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', dim_key,
    survey_id, score, sum(shared)::integer, sum(weighted)
  FROM metric_rollups WHERE grain = 'hour' GROUP BY 1, 2, 3, 4, 5, 6;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION rapport_responses_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO response_feed_positions (response_id, seq) VALUES (NEW.id, NULL)
    ON CONFLICT (response_id) DO UPDATE SET seq = NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER responses_feed AFTER INSERT OR UPDATE ON responses
  FOR EACH ROW EXECUTE FUNCTION rapport_responses_feed();
--> statement-breakpoint
-- Numbers committed, unnumbered responses in commit order: one numberer at a time (advisory
-- lock), so every number handed out is above every number already visible to readers.
CREATE OR REPLACE FUNCTION rapport_assign_feed_positions(p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_base bigint;
  v_assigned integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(72616114) THEN
    RETURN 0;
  END IF;
  SELECT coalesce(max(seq), 0) INTO v_base FROM response_feed_positions;
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
  RETURN v_assigned;
END $$;
--> statement-breakpoint
INSERT INTO response_feed_positions (response_id, seq) SELECT id, NULL FROM responses
  ON CONFLICT (response_id) DO NOTHING;
--> statement-breakpoint
SELECT rapport_rollup_rebuild();

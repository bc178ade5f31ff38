-- Adds the UTC month grain: long periods read months, plus the days and hours that separate
-- local buckets from the nearest UTC months. Rollups are rebuilt to include it.
CREATE OR REPLACE FUNCTION rapport_rollup_emit(
  p_sign integer, p_survey uuid, p_score integer, p_at timestamptz, p_client uuid,
  p_item uuid, p_board text, p_board_only boolean
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO metric_rollup_deltas (grain, dim, dim_key, bucket, survey_id, score, shared, weighted)
  SELECT g.grain, d.dim, d.dim_key,
    date_trunc(g.grain, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
    p_survey, p_score, p_sign * d.shared, p_sign * d.weighted
  FROM (VALUES ('month'), ('day'), ('hour')) AS g(grain)
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
    ORDER BY dim, grain, survey_id, bucket, dim_key, score
    ON CONFLICT (dim, grain, bucket, dim_key, survey_id, score) DO UPDATE
      SET shared = m.shared + excluded.shared, weighted = m.weighted + excluded.weighted
    RETURNING 1
  )
  SELECT coalesce(sum(n), 0)::integer INTO v_moved FROM summed;
  RETURN v_moved;
END $$;
--> statement-breakpoint
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
  DROP TABLE IF EXISTS rapport_recorded;
  CREATE TEMP TABLE rapport_recorded ON COMMIT DROP AS
    SELECT r.work_item_id, r.client_id, r.survey_id, r.score, w.board,
      date_trunc('hour', r.responded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour
    FROM responses r LEFT JOIN work_items w ON w.id = r.work_item_id
    WHERE r.state = 'recorded';
  -- One set-based pass per dimension (hash joins), then days from hours and months from days.
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'all', 'hour', hour, '', survey_id, score, count(*)::integer, count(*)::numeric
    FROM rapport_recorded GROUP BY hour, survey_id, score;
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'client', 'hour', hour, client_id::text, survey_id, score, count(*)::integer, count(*)::numeric
    FROM rapport_recorded GROUP BY hour, client_id, survey_id, score;
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'board', 'hour', hour, board, survey_id, score, count(*)::integer, count(*)::numeric
    FROM rapport_recorded WHERE board IS NOT NULL GROUP BY hour, board, survey_id, score;
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'escalation', 'hour', r.hour, 'untouched', r.survey_id, r.score, count(*)::integer,
      count(*)::numeric
    FROM rapport_recorded r
    WHERE NOT EXISTS (SELECT 1 FROM work_item_credits c WHERE c.work_item_id = r.work_item_id)
    GROUP BY r.hour, r.survey_id, r.score;
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT i.dim, 'hour', r.hour, i.dim_key, r.survey_id, r.score, count(*)::integer, sum(i.weighted)
    FROM rapport_recorded r JOIN rapport_item_dims i ON i.work_item_id = r.work_item_id
    GROUP BY i.dim, r.hour, i.dim_key, r.survey_id, r.score;
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
  SELECT dim, 'day', date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', dim_key,
    survey_id, score, sum(shared)::integer, sum(weighted)
  FROM metric_rollups WHERE grain = 'hour' GROUP BY 1, 2, 3, 4, 5, 6;
  INSERT INTO metric_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
  SELECT dim, 'month', date_trunc('month', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', dim_key,
    survey_id, score, sum(shared)::integer, sum(weighted)
  FROM metric_rollups WHERE grain = 'day' GROUP BY 1, 2, 3, 4, 5, 6;
END $$;
--> statement-breakpoint
SELECT rapport_rollup_rebuild();

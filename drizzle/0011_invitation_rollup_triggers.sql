-- Response-rate rollups: every sent invitation counted at its send time, as answered (score 1,
-- it has a recorded response) or not (score 0), by the same dimensions and credit lines as the
-- responses. Kept exact by triggers on invitations, responses, touches and work item boards.
CREATE OR REPLACE FUNCTION rapport_invitation_rollup_emit(
  p_sign integer, p_survey uuid, p_answered integer, p_at timestamptz, p_client uuid,
  p_item uuid, p_board text, p_board_only boolean
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO invitation_rollup_deltas (grain, dim, dim_key, bucket, survey_id, score, shared, weighted)
  SELECT g.grain, d.dim, d.dim_key,
    date_trunc(g.grain, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
    p_survey, p_answered, p_sign * d.shared, p_sign * d.weighted
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
-- One sent invitation's whole contribution (sign +1 or -1), answered or not as it stands now.
CREATE OR REPLACE FUNCTION rapport_invitation_rollup_count(
  p_sign integer, p_invitation uuid, p_survey uuid, p_at timestamptz, p_client uuid, p_item uuid
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_board text;
  v_answered integer;
BEGIN
  SELECT board INTO v_board FROM work_items WHERE id = p_item;
  SELECT count(*)::integer INTO v_answered FROM responses
    WHERE invitation_id = p_invitation AND state = 'recorded';
  PERFORM rapport_invitation_rollup_emit(p_sign, p_survey, v_answered, p_at, p_client, p_item,
    v_board, false);
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION rapport_invitations_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_old boolean := TG_OP <> 'INSERT' AND OLD.sent_at IS NOT NULL;
  v_new boolean := TG_OP <> 'DELETE' AND NEW.sent_at IS NOT NULL;
BEGIN
  -- The item locks serialise with credit and board changes on the same items (see refresh).
  PERFORM 1 FROM work_items WHERE id IN (
    SELECT OLD.work_item_id WHERE v_old UNION SELECT NEW.work_item_id WHERE v_new
  ) ORDER BY id FOR NO KEY UPDATE;
  IF v_old THEN
    PERFORM rapport_invitation_rollup_count(-1, OLD.id, OLD.survey_id, OLD.sent_at, OLD.client_id,
      OLD.work_item_id);
  END IF;
  IF v_new THEN
    PERFORM rapport_invitation_rollup_count(1, NEW.id, NEW.survey_id, NEW.sent_at, NEW.client_id,
      NEW.work_item_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Only writes that change what is counted run the function: delivery's status updates do not.
CREATE TRIGGER invitations_rollup_insert AFTER INSERT ON invitations
  FOR EACH ROW WHEN (NEW.sent_at IS NOT NULL) EXECUTE FUNCTION rapport_invitations_rollup();
--> statement-breakpoint
CREATE TRIGGER invitations_rollup_update
  AFTER UPDATE OF sent_at, survey_id, client_id, work_item_id ON invitations
  FOR EACH ROW WHEN (OLD.sent_at IS DISTINCT FROM NEW.sent_at
    OR OLD.survey_id IS DISTINCT FROM NEW.survey_id OR OLD.client_id IS DISTINCT FROM NEW.client_id
    OR OLD.work_item_id IS DISTINCT FROM NEW.work_item_id)
  EXECUTE FUNCTION rapport_invitations_rollup();
--> statement-breakpoint
CREATE TRIGGER invitations_rollup_delete AFTER DELETE ON invitations
  FOR EACH ROW WHEN (OLD.sent_at IS NOT NULL) EXECUTE FUNCTION rapport_invitations_rollup();
--> statement-breakpoint
-- A response that becomes (or stops being) recorded moves its invitation between unanswered
-- and answered. One response per invitation, so the other side of the move is known.
CREATE OR REPLACE FUNCTION rapport_responses_answered_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_lost uuid := CASE WHEN TG_OP <> 'INSERT' AND OLD.state = 'recorded' THEN OLD.invitation_id END;
  v_won uuid := CASE WHEN TG_OP <> 'DELETE' AND NEW.state = 'recorded' THEN NEW.invitation_id END;
  i record;
BEGIN
  -- Invitations first, then their items: the order an invitation's own update takes them in,
  -- so a send-time change and an answer to the same invitation apply one after the other.
  PERFORM 1 FROM invitations WHERE id IN (v_lost, v_won) ORDER BY id FOR NO KEY UPDATE;
  PERFORM 1 FROM work_items WHERE id IN (
    SELECT work_item_id FROM invitations WHERE id IN (v_lost, v_won) AND sent_at IS NOT NULL
  ) ORDER BY id FOR NO KEY UPDATE;
  FOR i IN SELECT x.id, x.survey_id, x.sent_at, x.client_id, x.work_item_id, w.board
    FROM invitations x LEFT JOIN work_items w ON w.id = x.work_item_id
    WHERE x.id IN (v_lost, v_won) AND x.sent_at IS NOT NULL LOOP
    PERFORM rapport_invitation_rollup_emit(-1, i.survey_id, CASE WHEN i.id = v_won THEN 0 ELSE 1 END,
      i.sent_at, i.client_id, i.work_item_id, i.board, false);
    PERFORM rapport_invitation_rollup_emit(1, i.survey_id, CASE WHEN i.id = v_won THEN 1 ELSE 0 END,
      i.sent_at, i.client_id, i.work_item_id, i.board, false);
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Named to fire before `responses_rollup`, so locks are taken invitation first, then item.
-- A re-click that keeps the state (or any write that keeps whether the response is a recorded
-- answer to its invitation) is filtered out by the WHEN clause without calling the function.
CREATE TRIGGER responses_answered_rollup_insert AFTER INSERT ON responses
  FOR EACH ROW WHEN (NEW.state = 'recorded' AND NEW.invitation_id IS NOT NULL)
  EXECUTE FUNCTION rapport_responses_answered_rollup();
--> statement-breakpoint
CREATE TRIGGER responses_answered_rollup_update AFTER UPDATE OF state, invitation_id ON responses
  FOR EACH ROW WHEN ((CASE WHEN OLD.state = 'recorded' THEN OLD.invitation_id END)
    IS DISTINCT FROM (CASE WHEN NEW.state = 'recorded' THEN NEW.invitation_id END))
  EXECUTE FUNCTION rapport_responses_answered_rollup();
--> statement-breakpoint
CREATE TRIGGER responses_answered_rollup_delete AFTER DELETE ON responses
  FOR EACH ROW WHEN (OLD.state = 'recorded' AND OLD.invitation_id IS NOT NULL)
  EXECUTE FUNCTION rapport_responses_answered_rollup();
--> statement-breakpoint
-- Credit changes (late touches, moves) now move the item's sent invitations too.
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
  FOR r IN SELECT i.survey_id, i.sent_at, i.client_id,
      (SELECT count(*)::integer FROM responses x WHERE x.invitation_id = i.id AND x.state = 'recorded') AS answered
    FROM invitations i WHERE i.work_item_id = p_item AND i.sent_at IS NOT NULL LOOP
    PERFORM rapport_invitation_rollup_emit(-1, r.survey_id, r.answered, r.sent_at, r.client_id, p_item, v_board, false);
  END LOOP;
  DELETE FROM work_item_credits WHERE work_item_id = p_item;
  INSERT INTO work_item_credits (work_item_id, member_id, team_id, weight)
    SELECT work_item_id, member_id, team_id, weight FROM work_item_credit_lines
    WHERE work_item_id = p_item;
  FOR r IN SELECT survey_id, score, responded_at, client_id FROM responses
    WHERE work_item_id = p_item AND state = 'recorded' LOOP
    PERFORM rapport_rollup_emit(1, r.survey_id, r.score, r.responded_at, r.client_id, p_item, v_board, false);
  END LOOP;
  FOR r IN SELECT i.survey_id, i.sent_at, i.client_id,
      (SELECT count(*)::integer FROM responses x WHERE x.invitation_id = i.id AND x.state = 'recorded') AS answered
    FROM invitations i WHERE i.work_item_id = p_item AND i.sent_at IS NOT NULL LOOP
    PERFORM rapport_invitation_rollup_emit(1, r.survey_id, r.answered, r.sent_at, r.client_id, p_item, v_board, false);
  END LOOP;
END $$;
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
  FOR r IN SELECT i.survey_id, i.sent_at, i.client_id,
      (SELECT count(*)::integer FROM responses x WHERE x.invitation_id = i.id AND x.state = 'recorded') AS answered
    FROM invitations i WHERE i.work_item_id = NEW.id AND i.sent_at IS NOT NULL LOOP
    PERFORM rapport_invitation_rollup_emit(-1, r.survey_id, r.answered, r.sent_at, r.client_id, NEW.id, OLD.board, true);
    PERFORM rapport_invitation_rollup_emit(1, r.survey_id, r.answered, r.sent_at, r.client_id, NEW.id, NEW.board, true);
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Folds both kinds of pending deltas, up to p_limit of each, one folder at a time.
CREATE OR REPLACE FUNCTION rapport_rollup_fold(p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_moved integer;
  v_invitations integer;
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
  WITH batch AS (
    DELETE FROM invitation_rollup_deltas WHERE id IN (
      SELECT id FROM invitation_rollup_deltas ORDER BY id LIMIT p_limit
    ) RETURNING *
  ), summed AS (
    SELECT dim, grain, bucket, dim_key, survey_id, score,
      sum(shared)::integer AS shared, sum(weighted) AS weighted, count(*) AS n
    FROM batch GROUP BY dim, grain, bucket, dim_key, survey_id, score
  ), applied AS (
    INSERT INTO invitation_rollups AS m (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT dim, grain, bucket, dim_key, survey_id, score, shared, weighted FROM summed
    ORDER BY dim, grain, survey_id, bucket, dim_key, score
    ON CONFLICT (dim, grain, bucket, dim_key, survey_id, score) DO UPDATE
      SET shared = m.shared + excluded.shared, weighted = m.weighted + excluded.weighted
    RETURNING 1
  )
  SELECT coalesce(sum(n), 0)::integer INTO v_invitations FROM summed;
  RETURN v_moved + v_invitations;
END $$;
--> statement-breakpoint
-- The rebuild recomputes the response-rate rollups too.
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
  -- Sent invitations, answered (1) or not (0), by the same passes into invitation_rollups.
  DELETE FROM invitation_rollup_deltas;
  DELETE FROM invitation_rollups;
  DROP TABLE IF EXISTS rapport_sent;
  CREATE TEMP TABLE rapport_sent ON COMMIT DROP AS
    SELECT i.work_item_id, i.client_id, i.survey_id, w.board,
      coalesce(x.state = 'recorded', false)::integer AS score,
      date_trunc('hour', i.sent_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour
    FROM invitations i
    LEFT JOIN responses x ON x.invitation_id = i.id
    LEFT JOIN work_items w ON w.id = i.work_item_id
    WHERE i.sent_at IS NOT NULL;
  INSERT INTO invitation_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'all', 'hour', hour, '', survey_id, score, count(*)::integer, count(*)::numeric
    FROM rapport_sent GROUP BY hour, survey_id, score;
  INSERT INTO invitation_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'client', 'hour', hour, client_id::text, survey_id, score, count(*)::integer, count(*)::numeric
    FROM rapport_sent GROUP BY hour, client_id, survey_id, score;
  INSERT INTO invitation_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'board', 'hour', hour, board, survey_id, score, count(*)::integer, count(*)::numeric
    FROM rapport_sent WHERE board IS NOT NULL GROUP BY hour, board, survey_id, score;
  INSERT INTO invitation_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT 'escalation', 'hour', s.hour, 'untouched', s.survey_id, s.score, count(*)::integer,
      count(*)::numeric
    FROM rapport_sent s
    WHERE NOT EXISTS (SELECT 1 FROM work_item_credits c WHERE c.work_item_id = s.work_item_id)
    GROUP BY s.hour, s.survey_id, s.score;
  INSERT INTO invitation_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
    SELECT i.dim, 'hour', s.hour, i.dim_key, s.survey_id, s.score, count(*)::integer, sum(i.weighted)
    FROM rapport_sent s JOIN rapport_item_dims i ON i.work_item_id = s.work_item_id
    GROUP BY i.dim, s.hour, i.dim_key, s.survey_id, s.score;
  INSERT INTO invitation_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
  SELECT dim, 'day', date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', dim_key,
    survey_id, score, sum(shared)::integer, sum(weighted)
  FROM invitation_rollups WHERE grain = 'hour' GROUP BY 1, 2, 3, 4, 5, 6;
  INSERT INTO invitation_rollups (dim, grain, bucket, dim_key, survey_id, score, shared, weighted)
  SELECT dim, 'month', date_trunc('month', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', dim_key,
    survey_id, score, sum(shared)::integer, sum(weighted)
  FROM invitation_rollups WHERE grain = 'day' GROUP BY 1, 2, 3, 4, 5, 6;
END $$;
--> statement-breakpoint
SELECT rapport_rollup_rebuild();

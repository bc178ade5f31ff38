import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { members, teams } from "./directory.ts";
import { responses } from "./responses.ts";
import { workItems } from "./work.ts";

/**
 * Rollup grains, all in UTC: months for the bulk of long periods, days and hours for the edges
 * of local buckets (and for the difference between a local month and the nearest UTC months).
 */
export const rollupGrains = ["month", "day", "hour"] as const;

/**
 * What the rollups are split by. `all` holds each recorded response once; `team` and `member`
 * hold attributed credit; `client`, `board` and `escalation` are properties of the response.
 */
export const rollupDims = ["all", "team", "member", "client", "board", "escalation"] as const;

const rollupColumns = {
  grain: text({ enum: rollupGrains }).notNull(),
  dim: text({ enum: rollupDims }).notNull(),
  dimKey: text().notNull(),
  bucket: timestamp({ withTimezone: true }).notNull(),
  surveyId: uuid().notNull(),
  score: integer().notNull(),
  /** Responses credited (shared mode): whole counts. */
  shared: integer().notNull(),
  /** Sum of credit weights (weighted mode): exact decimal, never a float. */
  weighted: numeric().notNull(),
};

/**
 * Counts per score of recorded responses per grain bucket, dimension key and survey. Kept
 * exact by database triggers (whoever writes responses, touches or work items) through
 * `metric_rollup_deltas`, which the worker folds in here.
 */
export const metricRollups = pgTable("metric_rollups", rollupColumns, (t) => [
  // Metrics read one dimension of some surveys over a time range: `where dim = $1 and grain = $2
  // and survey_id = any($3) and bucket >= $4 and bucket < $5`.
  primaryKey({ columns: [t.dim, t.grain, t.surveyId, t.bucket, t.dimKey, t.score] }),
]);

/**
 * Changes to the rollups written by the triggers, insert-only so that writers never wait on
 * one another's hot rollup rows. Readers add them to `metric_rollups`; the worker folds them.
 */
export const metricRollupDeltas = pgTable(
  "metric_rollup_deltas",
  { id: bigserial({ mode: "number" }).primaryKey(), ...rollupColumns },
  (t) => [
    // Same read as the rollups: `where dim = $1 and grain = $2 and bucket >= $3 ...`.
    index().on(t.dim, t.grain, t.bucket),
  ],
);

/**
 * Sent invitations per grain bucket (of `sent_at`), dimension key and survey, split by whether
 * the invitation has a recorded response: `score` is 1 (answered) or 0 (not yet, or only a
 * quarantined or flagged answer). The response rate's rollups, kept like `metric_rollups`.
 */
export const invitationRollups = pgTable("invitation_rollups", rollupColumns, (t) => [
  // The response rate reads like the other metrics: `where dim = $1 and grain = $2 and
  // survey_id = any($3) and bucket >= $4 and bucket < $5`.
  primaryKey({ columns: [t.dim, t.grain, t.surveyId, t.bucket, t.dimKey, t.score] }),
]);

/** Pending changes to `invitation_rollups`, insert-only, folded with the metric rollups. */
export const invitationRollupDeltas = pgTable(
  "invitation_rollup_deltas",
  { id: bigserial({ mode: "number" }).primaryKey(), ...rollupColumns },
  (t) => [
    // Same read as the rollups: `where dim = $1 and grain = $2 and bucket >= $3 ...`.
    index().on(t.dim, t.grain, t.bucket),
  ],
);

/**
 * The credit lines of a work item as last applied to the rollups: one per (member, team) pair
 * that touched it, with its weight (share of touch minutes, or equal shares when none known).
 */
export const workItemCredits = pgTable(
  "work_item_credits",
  {
    workItemId: uuid()
      .notNull()
      .references(() => workItems.id),
    memberId: uuid()
      .notNull()
      .references(() => members.id),
    teamId: uuid()
      .notNull()
      .references(() => teams.id),
    weight: numeric().notNull(),
  },
  (t) => [
    // The triggers read and replace one item's lines: `where work_item_id = $1`.
    primaryKey({ columns: [t.workItemId, t.memberId, t.teamId] }),
  ],
);

/**
 * Work items whose responses the feed must hand out again: a touch or board change altered
 * their attribution. Written by the touch and board triggers (an insert, no lock on the
 * responses' positions); the feed's numberer clears the positions and deletes the rows.
 */
export const feedRequeue = pgTable("feed_requeue", {
  id: bigserial({ mode: "number" }).primaryKey(),
  workItemId: uuid().notNull(),
});

/**
 * The feed's order: a sequence number given to each response version once it is committed,
 * in commit order (see `assign_response_feed_positions`), so a cursor never skips a row that
 * committed late. A change to the response clears the number; the next read assigns a new one.
 */
export const responseFeedPositions = pgTable(
  "response_feed_positions",
  {
    responseId: uuid()
      .primaryKey()
      .references(() => responses.id, { onDelete: "cascade" }),
    seq: bigint({ mode: "number" }),
  },
  (t) => [
    // The feed's page: `where seq > $cursor order by seq`.
    index().on(t.seq),
    // Responses waiting for a number: `where seq is null`.
    index("response_feed_positions_pending_idx").on(t.responseId).where(sql`seq is null`),
  ],
);

import {
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { members, teams } from "./directory.ts";

export const goalMetrics = ["csat", "nps", "response-rate"] as const;
export type GoalMetric = (typeof goalMetrics)[number];
export const goalPeriodKinds = ["month", "quarter"] as const;
export type GoalPeriodKind = (typeof goalPeriodKinds)[number];
export const goalCreditModes = ["shared", "weighted"] as const;
export type GoalCredit = (typeof goalCreditModes)[number];
export const attainmentStatuses = ["met", "not_met", "not_enough_data"] as const;
export type AttainmentStatus = (typeof attainmentStatuses)[number];

/**
 * A target for a team (or one member of it) per month or quarter. `target` is in the metric's
 * unit: percent for CSAT and response rate, -100..100 for NPS.
 */
export const goals = pgTable(
  "goals",
  {
    id: uuid().primaryKey().defaultRandom(),
    teamId: uuid()
      .notNull()
      .references(() => teams.id),
    memberId: uuid().references(() => members.id),
    name: text(),
    metric: text({ enum: goalMetrics }).notNull(),
    target: doublePrecision().notNull(),
    periodKind: text({ enum: goalPeriodKinds }).notNull(),
    minN: integer().notNull().default(30),
    credit: text({ enum: goalCreditModes }).notNull().default("shared"),
    // Period edges are local midnights in this zone, so a goal's month never moves.
    timezone: text().notNull().default("UTC"),
    active: boolean().notNull().default(true),
    /** When the goal was last deactivated (null while active): later edits do not move it. */
    deactivatedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A team's goals (team pages, digests): `where team_id = $1`.
    index().on(t.teamId),
  ],
);

/**
 * The attainment of one goal for one closed period, frozen once the period's grace time has
 * passed: bonuses are paid on these rows, so later data (late touches, changed scores) and
 * later edits of the goal never change them. The goal's settings are copied in for that reason.
 */
export const goalAttainments = pgTable(
  "goal_attainments",
  {
    id: uuid().primaryKey().defaultRandom(),
    goalId: uuid()
      .notNull()
      .references(() => goals.id),
    period: text().notNull(),
    /** The goal's team and member when it froze: a goal moved later keeps its past here. */
    teamId: uuid()
      .notNull()
      .references(() => teams.id),
    memberId: uuid().references(() => members.id),
    periodStart: timestamp({ withTimezone: true }).notNull(),
    periodEnd: timestamp({ withTimezone: true }).notNull(),
    metric: text({ enum: goalMetrics }).notNull(),
    target: doublePrecision().notNull(),
    minN: integer().notNull(),
    credit: text({ enum: goalCreditModes }).notNull(),
    value: doublePrecision(),
    n: doublePrecision().notNull(),
    intervalLow: doublePrecision(),
    intervalHigh: doublePrecision(),
    status: text({ enum: attainmentStatuses }).notNull(),
    finalizedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    // One frozen answer per goal and period, even when two requests finalise at once.
    uniqueIndex().on(t.goalId, t.period),
    // `GET /v1/goals/attainment?period=`: `where period = $1`.
    index().on(t.period),
  ],
);

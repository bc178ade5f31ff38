import { sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";

const BATCH = 2000;
const MAX_BATCHES = 25;

/**
 * Numbers committed responses that have no feed position yet, in commit order (one numberer
 * at a time; see the `rapport_assign_feed_positions` function). Answers how many it numbered.
 */
export async function assignFeedPositions(ctx: ServiceContext): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const [row] = await queryRows<{ n: number }>(
      ctx.db,
      sql`select rapport_assign_feed_positions(${BATCH}) as n`,
    );
    const n = Number(row?.n ?? 0);
    total += n;
    if (n < BATCH) break;
  }
  return total;
}

/** Folds the triggers' pending rollup changes into the rollups. Answers how many it folded. */
export async function foldMetricRollups(ctx: ServiceContext): Promise<number> {
  const [row] = await queryRows<{ n: number }>(ctx.db, sql`select rapport_rollup_fold(20000) as n`);
  return Number(row?.n ?? 0);
}

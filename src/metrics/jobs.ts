import { assignFeedPositions, foldMetricRollups } from "../attribution/positions.ts";
import type { Job } from "../worker/runner.ts";

/** Keeps the pending rollup changes few, so metric reads stay fast; any number may run. */
export const metricRollupFoldJob: Job = { name: "fold-metric-rollups", runOnce: foldMetricRollups };

/** Numbers new and changed responses for the feed ahead of its readers. */
export const feedPositionJob: Job = { name: "assign-feed-positions", runOnce: assignFeedPositions };

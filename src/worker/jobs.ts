import { sendDueInvitations, sendDueReminders } from "../delivery/jobs.ts";
import { digestJob } from "../digests/job.ts";
import { followupOverdueJob } from "../followups/overdue-job.ts";
import { goalFreezeJob } from "../goals/freeze-job.ts";
import { feedPositionJob, metricRollupFoldJob } from "../metrics/jobs.ts";
import { webhookDeliveryJob } from "../webhooks/delivery-job.ts";
import type { Job } from "./runner.ts";

/** Every background job the worker runs, in order. */
export const jobs: Job[] = [
  followupOverdueJob,
  webhookDeliveryJob,
  sendDueInvitations,
  sendDueReminders,
  digestJob,
  goalFreezeJob,
  metricRollupFoldJob,
  feedPositionJob,
];

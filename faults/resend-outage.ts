// Resend answers 429 (with Retry-After) and then 500 for a while, then recovers: nothing lost,
// nothing sent twice, the retries spaced as the backoff schedule and Retry-After say, and the
// number of requests during the outage bounded by that schedule (no hot loop).
import { backoffMs } from "../src/delivery/backoff.ts";
import { FakeResend } from "../test/support/fake-resend.ts";
import { freshDatabase, postgresServerUrl } from "./support/database.ts";
import { type RapportProcess, startRapport, stopAll, waitFor } from "./support/processes.ts";
import { scenarioSecret, seedInvitations } from "./support/seed.ts";
import {
  Checks,
  checkDeliveredOnce,
  pendingInvitations,
  type ScenarioResult,
} from "./support/verdict.ts";

export interface ResendOutageOptions {
  invitations?: number;
  /** Length of the outage: the first half answers 429, the second half 500. */
  outageSeconds?: number;
  retryAfterSeconds?: number;
  log?: (line: string) => void;
}

// Clock readings of two processes on one machine: a little slack for rounding to milliseconds.
const SLACK_MS = 50;

export async function scenario(options: ResendOutageOptions = {}): Promise<ScenarioResult> {
  const count = options.invitations ?? 300;
  const outageSeconds = options.outageSeconds ?? 60;
  const retryAfter = options.retryAfterSeconds ?? 5;
  const log = options.log ?? (() => {});
  const checks = new Checks();
  const fake = await new FakeResend().start();
  const db = await freshDatabase(postgresServerUrl(), "resend_outage");
  const processes: RapportProcess[] = [];
  try {
    const secret = scenarioSecret();
    const seeded = await seedInvitations(db.database.db, secret, count, "due");
    const batches = Math.ceil(count / 100);
    // The outage starts before the worker does, so its very first requests meet it.
    const outage = fake.startOutage(outageSeconds, retryAfter);
    log(`resend-outage: ${count} due invitations, ${outageSeconds} s outage`);
    processes.push(
      await startRapport("worker", {
        DATABASE_URL: db.url,
        APP_SECRET: secret,
        RESEND_API_KEY: "re_fault_scenario_key",
        RESEND_BASE_URL: fake.url,
        WORKER_INTERVAL_MS: "200",
      }),
    );
    const drained = await waitFor(
      async () => (await pendingInvitations(db.sql)) === 0,
      outageSeconds * 1000 + 300_000,
      500,
    );
    await stopAll(processes);
    checks.expect(
      "the worker finished once Resend recovered",
      drained,
      `${await pendingInvitations(db.sql)} invitations still scheduled or in flight`,
    );
    await checkDeliveredOnce(
      checks,
      db.sql,
      fake,
      seeded.map((invitation) => invitation.email),
    );

    const during = fake.requests.filter((r) => r.at >= outage.from && r.at < outage.until);
    const rateLimited = during.filter((r) => r.status === 429).length;
    const failed = during.filter((r) => r.status === 500).length;
    checks.expect(
      "the outage was met (429 and 500 answered)",
      rateLimited > 0 && failed > 0,
      `${rateLimited} answered 429, ${failed} answered 500`,
    );

    const bound = requestBound(batches, outageSeconds, retryAfter);
    checks.expect(
      "no hot loop: requests during the outage within the backoff schedule's bound",
      during.length <= bound,
      `${during.length} requests in ${outageSeconds} s (bound ${bound} for ${batches} batches)`,
    );

    // Retries are safe only under the batch's own idempotency key: a request Resend accepted
    // whose answer was a 500 or lost is then not sent again. Nothing changes the batches here,
    // so every request of a batch carries the one key it was first sent with.
    const keys = new Set(fake.requests.map((request) => request.idempotencyKey));
    checks.expect(
      "every retry reused its batch's idempotency key",
      !keys.has(null) && keys.size === batches,
      `${keys.size} distinct keys over ${fake.requests.length} requests for ${batches} batches`,
    );

    await checkBackoff(checks, db.sql, retryAfter);
    checks.note(
      `fake Resend: ${fake.requests.length} batch requests, ${fake.sent.length} emails accepted`,
    );
    return checks.result();
  } finally {
    await stopAll(processes);
    await fake.stop();
    await db.drop();
  }
}

/**
 * The most requests the schedule allows during the outage: while rate limited, one per batch per
 * Retry-After; while failing, one per batch plus one per backoff delay (at its shortest, without
 * jitter) that fits in the failing half.
 */
export function requestBound(batches: number, outageSeconds: number, retryAfter: number): number {
  const half = (outageSeconds * 1000) / 2;
  const rateLimitedRounds = Math.ceil(half / (retryAfter * 1000)) + 1;
  let failingRounds = 1;
  for (let elapsed = backoffMs(1, () => 0); elapsed <= half; ) {
    failingRounds++;
    elapsed += backoffMs(failingRounds, () => 0);
  }
  return batches * (rateLimitedRounds + failingRounds);
}

/**
 * From the recorded history: every retry waited at least what it asked for (Retry-After on a
 * 429, the backoff floor for the attempt otherwise), and no attempt came before its retry time.
 */
async function checkBackoff(checks: Checks, sql: FaultSql, retryAfter: number) {
  const history = await sql<
    Array<{ invitation_id: string; type: string; at: Date; detail: Record<string, unknown> }>
  >`
    select invitation_id, type, at, detail from invitation_events
    where type in ('send_attempt', 'send_retry') order by invitation_id, at, type`;
  let retries = 0;
  let early = 0;
  let short = 0;
  let longest = 0;
  const byInvitation = Map.groupBy(history, (event) => event.invitation_id);
  for (const events of byInvitation.values()) {
    let failures = 0;
    let dueAt: number | undefined;
    for (const event of events) {
      const at = new Date(event.at).getTime();
      if (event.type === "send_attempt") {
        if (dueAt !== undefined && at < dueAt - SLACK_MS) early++;
        dueAt = undefined;
        continue;
      }
      retries++;
      const retryAt = Date.parse(String(event.detail.retryAt));
      const waited = retryAt - at;
      longest = Math.max(longest, waited);
      const limited = event.detail.rateLimited === true;
      if (!limited) failures++;
      const floor = limited ? retryAfter * 1000 : backoffMs(failures, () => 0);
      if (waited < floor - SLACK_MS) short++;
      dueAt = retryAt;
    }
  }
  checks.expect(
    "backoff observed: each retry waited its Retry-After or backoff floor, none came early",
    retries > 0 && early === 0 && short === 0,
    `${retries} retries recorded, ${short} scheduled too soon, ${early} attempts before their ` +
      `retry time, longest wait ${Math.round(longest / 1000)} s`,
  );
}

type FaultSql = Awaited<ReturnType<typeof freshDatabase>>["sql"];

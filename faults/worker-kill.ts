// `kill -9` of a worker while Resend holds the answer to a batch it already accepted, then a
// restart: every invitation must be sent exactly once, none lost, the attempts recorded.

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

export interface WorkerKillOptions {
  /** Due invitations (100 per Resend batch). */
  invitations?: number;
  /** How long the fake holds each answer: the window in which the worker is killed. */
  answerDelayMs?: number;
  /**
   * Wait out the real 5-minute lease of the killed worker's batch instead of moving its expiry
   * to now (the default, which stands for that wait so the scenario stays short).
   */
  realLease?: boolean;
  log?: (line: string) => void;
}

export async function scenario(options: WorkerKillOptions = {}): Promise<ScenarioResult> {
  const count = options.invitations ?? 300;
  const log = options.log ?? (() => {});
  const checks = new Checks();
  const fake = await new FakeResend({ answerDelayMs: options.answerDelayMs ?? 3000 }).start();
  const db = await freshDatabase(postgresServerUrl(), "worker_kill");
  const processes: RapportProcess[] = [];
  try {
    const secret = scenarioSecret();
    const seeded = await seedInvitations(db.database.db, secret, count, "due");
    const env = {
      DATABASE_URL: db.url,
      APP_SECRET: secret,
      RESEND_API_KEY: "re_fault_scenario_key",
      RESEND_BASE_URL: fake.url,
      WORKER_INTERVAL_MS: "200",
      RESEND_REQUESTS_PER_SECOND: "5",
    };
    log(`worker-kill: ${count} due invitations; starting the first worker`);
    const first = await startRapport("worker", env);
    processes.push(first);

    // The moment to kill: Resend has accepted a batch (after an earlier one was answered, when
    // there are several) and the worker is still waiting for its answer.
    const single = count <= 100;
    const inBatch = await waitFor(
      () => fake.unanswered() > 0 && (single || fake.answered() > 0),
      60_000,
      20,
    );
    const held = fake.requests.find((request) => request.status === null);
    first.child.kill("SIGKILL");
    await first.exited;
    checks.expect(
      "the worker was killed while a batch was accepted but unanswered",
      inBatch && held !== undefined,
      held
        ? `killed with batch ${held.idempotencyKey} (${held.size} emails) in flight`
        : "no batch in flight",
    );

    const [inFlight] = await db.sql<Array<{ n: number }>>`
      select count(*)::int as n from invitations where status = 'sending'`;
    log(`worker-kill: killed; ${inFlight!.n} invitations left in flight`);
    if (!options.realLease) {
      // Stands for the lease running out: the killed worker's claim expires now, not in 5 min.
      await db.sql`update invitations set next_attempt_at = now() where status = 'sending'`;
    }

    const second = await startRapport("worker", env);
    processes.push(second);
    const drained = await waitFor(
      async () => (await pendingInvitations(db.sql)) === 0,
      options.realLease ? 420_000 : 120_000,
      250,
    );
    await stopAll(processes);
    checks.expect(
      "the restarted worker finished the work",
      drained,
      `${await pendingInvitations(db.sql)} invitations still scheduled or in flight`,
    );
    await checkDeliveredOnce(
      checks,
      db.sql,
      fake,
      seeded.map((invitation) => invitation.email),
    );

    if (held?.idempotencyKey) {
      const again = fake.requests.filter((r) => r.idempotencyKey === held.idempotencyKey);
      const [resumed] = await db.sql<Array<{ n: number; attempts: number }>>`
        select count(distinct e.invitation_id)::int as n, coalesce(min(i.attempts), 0)::int as attempts
        from invitation_events e join invitations i on i.id = e.invitation_id
        where e.type = 'send_attempt' and (e.detail->>'resumed')::boolean
          and e.detail->>'batchKey' = ${held.idempotencyKey}`;
      checks.expect(
        "the interrupted batch was resent under its own idempotency key and replayed",
        again.length >= 2 && again.some((r) => r.replayed) && resumed!.n === held.size,
        `${again.length} requests with that key (${again.filter((r) => r.replayed).length} ` +
          `replayed, statuses ${again.map((r) => r.status).join(",")}); ${resumed!.n} of ` +
          `${held.size} invitations have a resumed attempt (min attempts ${resumed!.attempts})`,
      );
    }
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

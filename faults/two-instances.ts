// Two `rapport serve` and two `rapport worker` processes on one PostgreSQL database, every event
// and every click sent to both servers at once, intake running during the clicks: no duplicate
// event, work item, touch, invitation, email, response or follow-up.
import { randomBytes } from "node:crypto";
import { FakeResend } from "../test/support/fake-resend.ts";
import { freshDatabase, postgresServerUrl } from "./support/database.ts";
import { type RapportProcess, sleep, startRapport, stopAll, waitFor } from "./support/processes.ts";
import { scenarioSecret, seedApiKey } from "./support/seed.ts";
import {
  type Answer,
  closedTicketEvent,
  drive,
  scoreLinks,
  sendClick,
  sendEvent,
} from "./support/traffic.ts";
import {
  Checks,
  checkDeliveredOnce,
  pendingInvitations,
  type ScenarioResult,
} from "./support/verdict.ts";

export interface TwoInstancesOptions {
  /** Events before the clicks; half as many again arrive during the clicks. */
  events?: number;
  concurrency?: number;
  log?: (line: string) => void;
}

const TIMEOUT_MS = 15_000;

export async function scenario(options: TwoInstancesOptions = {}): Promise<ScenarioResult> {
  const first = options.events ?? 200;
  const second = Math.ceil(first / 2);
  const concurrency = options.concurrency ?? 8;
  const log = options.log ?? (() => {});
  const checks = new Checks();
  const fake = await new FakeResend().start();
  const db = await freshDatabase(postgresServerUrl(), "two_instances");
  const processes: RapportProcess[] = [];
  try {
    const secret = scenarioSecret();
    const key = await seedApiKey(db.database.db, ["events:write"]);
    const env = {
      DATABASE_URL: db.url,
      APP_SECRET: secret,
      RESEND_API_KEY: "re_fault_scenario_key",
      RESEND_BASE_URL: fake.url,
      RESEND_REQUESTS_PER_SECOND: "10",
      WORKER_INTERVAL_MS: "200",
      RATE_LIMIT_PER_MINUTE: "100000000",
      // Clicks come a second or two after the email: not "too soon after delivery" for a person.
      SCANNER_BURST_SECONDS: "1",
      DATABASE_POOL_SIZE: "5",
    };
    // Each worker sends with a key of its own: the fake tells which one sent each batch.
    const workerKeys = ["re_fault_worker_one", "re_fault_worker_two"];
    const started = await Promise.all([
      startRapport("serve", env),
      startRapport("serve", env),
      ...workerKeys.map((resendKey) =>
        startRapport("worker", { ...env, RESEND_API_KEY: resendKey }),
      ),
    ]);
    processes.push(...started);
    const servers = started.slice(0, 2).map((server) => server.baseUrl);
    const runId = randomBytes(3).toString("hex");
    const answers: Answer[] = [];

    /** Sends events `from..to-1`, each to both servers at the same moment. */
    const intake = async (from: number, to: number) => {
      let next = from;
      await drive(concurrency, Date.now() + 120_000, async () => {
        const n = next++;
        if (n >= to) return false;
        const event = closedTicketEvent(runId, n);
        answers.push(
          ...(await Promise.all(servers.map((url) => sendEvent(url, key, event, TIMEOUT_MS)))),
        );
        return true;
      });
    };
    log(`two-instances: ${first} events to both servers`);
    await intake(0, first);
    const sentFirst = await waitFor(() => fake.sent.length >= first, 120_000, 200);
    checks.expect("the first emails went out", sentFirst, `${fake.sent.length} of ${first} emails`);
    await sleep(1500);

    const links = fake.sent.flatMap((email, i) => {
      // Every third person is unhappy (a follow-up case), the others happy.
      const wanted = i % 3 === 0 ? 1 : 3;
      const link = scoreLinks(email.text).find((candidate) => candidate.score === wanted);
      return link ? [link] : [];
    });
    // Every email sent so far carries its score links: without them the click checks below
    // would compare nothing with nothing.
    checks.expect(
      "every email carries its score links",
      links.length > 0 && links.length === fake.sent.length,
      `${links.length} links in ${fake.sent.length} emails`,
    );
    log(`two-instances: ${links.length} clicks on both servers, ${second} more events meanwhile`);
    let nextClick = 0;
    await Promise.all([
      intake(first, first + second),
      drive(concurrency, Date.now() + 120_000, async () => {
        const link = links[nextClick++];
        if (!link) return false;
        answers.push(
          ...(await Promise.all(
            servers.map((url) => sendClick(url, link.token, link.score, TIMEOUT_MS)),
          )),
        );
        return true;
      }),
    ]);
    const total = first + second;
    const drained = await waitFor(
      async () => fake.sent.length >= total && (await pendingInvitations(db.sql)) === 0,
      120_000,
      250,
    );
    const exits = await stopAll(processes);
    checks.expect("every email went out", drained, `${fake.sent.length} of ${total} emails`);
    // Both workers lived through the load and took their share of it: one worker that died at
    // its first race would leave the other to send everything, duplicates or not.
    checks.expect(
      "both servers and both workers ran to the end and stopped cleanly on SIGTERM",
      exits.every((code) => code === 0),
      `exit codes ${JSON.stringify(exits)}`,
    );
    const batchesBy = workerKeys.map(
      (resendKey) => fake.requests.filter((request) => request.apiKey === resendKey).length,
    );
    // With a few dozen events one worker may, by chance, claim every batch: the quick variant
    // only reports the split; a full run (100 events or more) requires both.
    checks.expect(
      "both workers sent batches",
      first < 100 || batchesBy.every((count) => count > 0),
      `batches per worker ${JSON.stringify(batchesBy)}`,
    );

    const failed = answers.filter((a) => a.status < 200 || a.status >= 300);
    checks.expect(
      "every request got a 2xx (duplicates are acknowledged, not refused)",
      failed.length === 0,
      `${answers.length} requests, ${failed.length} not 2xx ${JSON.stringify(failed.slice(0, 3).map((a) => `${a.kind} ${a.status}`))}`,
    );
    await checkNoDuplicates(checks, db.sql, total, links);
    await checkDeliveredOnce(
      checks,
      db.sql,
      fake,
      Array.from({ length: total }, (_, n) => closedTicketEvent(runId, n).contact.email),
    );
    return checks.result();
  } finally {
    await stopAll(processes);
    await fake.stop();
    await db.drop();
  }
}

async function checkNoDuplicates(
  checks: Checks,
  sql: Awaited<ReturnType<typeof freshDatabase>>["sql"],
  events: number,
  clicks: Array<{ score: number }>,
) {
  const [row] = await sql<
    Array<{
      events: number;
      distinct_events: number;
      work_items: number;
      distinct_work_items: number;
      touches: number;
      distinct_touches: number;
      invitations: number;
      distinct_invitations: number;
      responses: number;
      distinct_responses: number;
      unhappy_recorded: number;
      followups: number;
      distinct_followups: number;
    }>
  >`
    select (select count(*) from events)::int as events,
           (select count(distinct (source, external_id)) from events)::int as distinct_events,
           (select count(*) from work_items)::int as work_items,
           (select count(distinct external_id) from work_items)::int as distinct_work_items,
           (select count(*) from touches)::int as touches,
           (select count(distinct (work_item_id, member_id, role)) from touches)::int as distinct_touches,
           (select count(*) from invitations)::int as invitations,
           (select count(distinct work_item_id) from invitations)::int as distinct_invitations,
           (select count(*) from responses)::int as responses,
           (select count(distinct invitation_id) from responses)::int as distinct_responses,
           (select count(*) from responses where state = 'recorded' and score = 1)::int as unhappy_recorded,
           (select count(*) from followups)::int as followups,
           (select count(distinct response_id) from followups)::int as distinct_followups`;
  const r = row!;
  const pair = (a: number, b: number) => `${a} rows, ${b} distinct`;
  checks.expect(
    "one event per event id",
    r.events === r.distinct_events && r.events === events,
    `${pair(r.events, r.distinct_events)}, ${events} sent`,
  );
  checks.expect(
    "one work item per ticket",
    r.work_items === r.distinct_work_items && r.work_items === events,
    pair(r.work_items, r.distinct_work_items),
  );
  checks.expect(
    "one set of touches per ticket",
    r.touches === r.distinct_touches && r.touches === events * 2,
    `${pair(r.touches, r.distinct_touches)}, ${events * 2} expected`,
  );
  checks.expect(
    "one invitation per ticket",
    r.invitations === r.distinct_invitations && r.invitations === events,
    pair(r.invitations, r.distinct_invitations),
  );
  checks.expect(
    "one response per clicked invitation",
    r.responses === r.distinct_responses && r.responses === clicks.length,
    `${pair(r.responses, r.distinct_responses)}, ${clicks.length} clicked`,
  );
  const unhappy = clicks.filter((click) => click.score === 1).length;
  checks.expect(
    "one follow-up per unhappy answer",
    r.followups === r.distinct_followups &&
      r.followups === r.unhappy_recorded &&
      (unhappy === 0 || r.followups > 0),
    `${pair(r.followups, r.distinct_followups)}, ${r.unhappy_recorded} unhappy answers recorded (${unhappy} unhappy clicks)`,
  );
}

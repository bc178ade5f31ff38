// PostgreSQL stopped and started again under click and intake load: during the outage requests
// fail fast with 503 problem+json (no 500, no hang), /readyz says 503, the server recovers by
// itself, and every click or event that got a 2xx is in the database afterwards.
import { randomBytes } from "node:crypto";
import { freshDatabase, startOwnCluster } from "./support/database.ts";
import { type RapportProcess, sleep, startRapport, stopAll } from "./support/processes.ts";
import { scenarioSecret, seedApiKey, seedInvitations } from "./support/seed.ts";
import { type Answer, closedTicketEvent, drive, sendClick, sendEvent } from "./support/traffic.ts";
import { Checks, type ScenarioResult } from "./support/verdict.ts";

const PACE_MS = 60;

export interface PostgresRestartOptions {
  /** Clickable invitations (each clicked at most once). */
  invitations?: number;
  /** Seconds between stopping PostgreSQL and starting it again. */
  downSeconds?: number;
  /** Seconds of load before the stop and after the start. */
  loadSeconds?: number;
  concurrency?: number;
  log?: (line: string) => void;
}

const REQUEST_TIMEOUT_MS = 10_000;
const PROBLEM_JSON = "application/problem+json";

export async function scenario(options: PostgresRestartOptions = {}): Promise<ScenarioResult> {
  const downSeconds = options.downSeconds ?? 5;
  const loadSeconds = options.loadSeconds ?? 8;
  const concurrency = options.concurrency ?? 16;
  // About 250 requests/s at 16 workers: 3/4 of them clicks, within the seeded invitations.
  const log = options.log ?? (() => {});
  const checks = new Checks();
  const cluster = await startOwnCluster();
  const processes: RapportProcess[] = [];
  let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  try {
    db = await freshDatabase(cluster.url, "pg_restart");
    const secret = scenarioSecret();
    const invitations = await seedInvitations(
      db.database.db,
      secret,
      options.invitations ?? 8000,
      "sent",
    );
    const key = await seedApiKey(db.database.db, ["events:write"]);
    const server = await startRapport("serve", {
      DATABASE_URL: db.url,
      APP_SECRET: secret,
      RATE_LIMIT_PER_MINUTE: "100000000",
    });
    processes.push(server);
    log(`postgres-restart: ${invitations.length} invitations, server at ${server.baseUrl}`);

    const answers: Answer[] = [];
    const ready: Array<{ at: number; status: number }> = [];
    const runId = randomBytes(3).toString("hex");
    let next = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const answer = await fetch(`${server.baseUrl}/readyz`, {
          signal: AbortSignal.timeout(5000),
        })
          .then((response) => response.status)
          .catch(() => 0);
        ready.push({ at: Date.now(), status: answer });
        await sleep(200);
      }
    })();

    const timeline = { down: 0, stopped: 0, up: 0 };
    const outage = (async () => {
      await sleep(loadSeconds * 1000);
      timeline.down = Date.now();
      log("postgres-restart: stopping PostgreSQL (fast)");
      await cluster.stop("fast");
      timeline.stopped = Date.now();
      await sleep(downSeconds * 1000);
      await cluster.start();
      timeline.up = Date.now();
      log("postgres-restart: PostgreSQL started again");
    })();
    const until = Date.now() + (loadSeconds * 2 + downSeconds + 10) * 1000;
    await drive(concurrency, until, async () => {
      // Paced, so the load lasts through the outage and the recovery rather than running out.
      await sleep(PACE_MS);
      const n = next++;
      // Every fourth request is an event; the others click an invitation never clicked before.
      if (n % 4 === 0) {
        answers.push(
          await sendEvent(server.baseUrl, key, closedTicketEvent(runId, n), REQUEST_TIMEOUT_MS),
        );
        return true;
      }
      const invitation = invitations[n - Math.floor(n / 4) - 1];
      if (!invitation) return false;
      answers.push(
        await sendClick(server.baseUrl, invitation.token, (n % 3) + 1, REQUEST_TIMEOUT_MS),
      );
      return true;
    });
    await outage;
    // A short tail after the load, so /readyz shows the recovery too.
    await sleep(1500);
    polling = false;
    await poller;

    const crashed = server.child.exitCode !== null || server.child.signalCode !== null;
    checks.expect(
      "the server process stayed up",
      !crashed,
      crashed
        ? `exited (${server.child.exitCode ?? server.child.signalCode}); its last output:\n${server.output().slice(-1500)}`
        : "running",
    );
    const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
    const failed = answers.filter((a) => !(a.status >= 200 && a.status < 300));
    const byStatus = countBy(failed, (a) => String(a.status));
    checks.note(
      `${answers.length} requests: ${ok.length} 2xx; failures by status ${JSON.stringify(byStatus)} ` +
        `(0 = connection error, -1 = no answer within ${REQUEST_TIMEOUT_MS / 1000} s)`,
    );
    checks.expect(
      "the outage was felt (some requests failed while PostgreSQL was down)",
      failed.length > 0,
      `${failed.length} failed requests`,
    );
    // The API answers problem+json; a click is a page for a person and answers a friendly page.
    const expectedType = (a: (typeof failed)[number]) =>
      a.kind === "click" ? "text/html" : PROBLEM_JSON;
    const wrong = failed.filter(
      (a) => a.status !== 503 || !a.contentType.startsWith(expectedType(a)),
    );
    checks.expect(
      "every failure is a 503 (problem+json for the API, an HTML page for clicks; no 500, no hang, no dropped connection)",
      wrong.length === 0,
      wrong.length === 0
        ? `${failed.length} failures, all 503 ${PROBLEM_JSON}`
        : `${wrong.length} others: ${JSON.stringify(countBy(wrong, (a) => `${a.kind} ${a.status} ${a.contentType || "-"}`))}`,
    );
    const slowest = Math.max(0, ...failed.map((a) => a.ms));
    checks.note(`slowest failure answered in ${slowest} ms`);

    const readyDown = ready.filter((r) => r.at >= timeline.stopped && r.at < timeline.up);
    const readyAfter = ready.filter((r) => r.at >= timeline.up + 2000);
    checks.expect(
      "/readyz reported 503 while PostgreSQL was down and 200 after",
      readyDown.some((r) => r.status === 503) &&
        readyDown.every((r) => r.status === 503) &&
        readyAfter.length > 0 &&
        readyAfter.at(-1)!.status === 200,
      `down: ${JSON.stringify(countBy(readyDown, (r) => String(r.status)))}, ` +
        `after: ${JSON.stringify(countBy(readyAfter, (r) => String(r.status)))}`,
    );

    const lateWindow = answers.filter((a) => a.at >= timeline.up + 3000);
    const lateFailures = lateWindow.filter((a) => a.status < 200 || a.status >= 300);
    checks.expect(
      "the server recovered by itself (every request from 3 s after the start succeeded)",
      lateWindow.length > 0 && lateFailures.length === 0,
      `${lateWindow.length} requests after recovery, ${lateFailures.length} failed`,
    );

    const okClicks = ok.filter((a) => a.kind === "click").map((a) => a.subject);
    const okEvents = ok.filter((a) => a.kind === "event").map((a) => a.subject);
    const idByToken = new Map(invitations.map((i) => [i.token, i.id]));
    const clickIds = okClicks.map((token) => idByToken.get(token)!);
    const [stored] = await db.sql<Array<{ responses: number; events: number }>>`
      select (select count(distinct invitation_id) from responses
              where invitation_id = any(${clickIds}::uuid[]))::int as responses,
             (select count(distinct external_id) from events
              where external_id = any(${okEvents}::text[]))::int as events`;
    checks.expect(
      "no 2xx lost: every answered click has its response, every accepted event is stored",
      stored!.responses === okClicks.length && stored!.events === okEvents.length,
      `${stored!.responses}/${okClicks.length} clicks, ${stored!.events}/${okEvents.length} events`,
    );
    return checks.result();
  } finally {
    await stopAll(processes);
    await db?.drop().catch(() => {});
    await cluster.destroy();
  }
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

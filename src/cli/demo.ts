import { parseArgs } from "node:util";
import { eq, sql } from "drizzle-orm";
import { createApiKey } from "../apikeys/keys.ts";
import type { Config } from "../config.ts";
import { type ServiceContext, systemClock } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { invitations } from "../db/schema/index.ts";
import { runLane } from "../delivery/jobs.ts";
import { lanes } from "../delivery/lanes.ts";
import type { CanonicalEvent } from "../intake/event.ts";
import { ingestEvent } from "../intake/ingest.ts";
import type { Logger } from "../logger.ts";
import { postComment } from "../responses/post-comment.ts";
import { appSecret } from "../security/app-secret.ts";
import { tokenFor } from "../surveys/tokens.ts";
import {
  contactNames,
  demoClients,
  demoMembers,
  negativeComments,
  neutralComments,
  positiveComments,
  projectComments,
  projectSummaries,
  ticketSummaries,
} from "./demo-data.ts";
import { addGoals, DemoClock, finishDirectory, random, workFollowups } from "./demo-setup.ts";
import { UsageError } from "./main.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export class DemoRefused extends Error {
  override name = "DemoRefused";
}

export interface DemoOptions {
  days: number;
  ticketsPerDay: number;
  seed: number;
}

export interface DemoSummary {
  tickets: number;
  projects: number;
  invitations: number;
  responses: number;
  followups: number;
  goals: number;
  adminKey: string;
}

interface PendingAnswer {
  at: Date;
  invitationId: string;
  score: number;
  comment: string;
}

/**
 * Fills an empty database with ~`days` days of an MSP's work: closed tickets (a quarter of them
 * escalated to a second team), completed projects touched by three teams, the survey emails the
 * worker sends, answers with comments (detractors open follow-ups, most later resolved), goals,
 * and an admin key. Refuses a database that already holds work items: it never mixes with real
 * data and never runs twice.
 */
export async function runDemo({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: DemoOptions;
}): Promise<DemoSummary> {
  const [existing] = await queryRows<{ n: number }>(
    ctx.db,
    sql`select count(*)::int as n from work_items`,
  );
  if ((existing?.n ?? 0) > 0) {
    throw new DemoRefused(
      "This database already holds work items; the demo fills only an empty database (use a fresh DATA_DIR or DATABASE_URL).",
    );
  }
  const rng = random(input.seed);
  const end = ctx.clock.now();
  const start = new Date(end.getTime() - input.days * DAY);
  const clock = new DemoClock(start);
  // Demo emails go to invented people: always into the local outbox, never through Resend.
  const demo: ServiceContext = {
    ...ctx,
    clock,
    config: { ...ctx.config, RESEND_API_KEY: undefined },
  };
  const secret = await appSecret(ctx);
  const pending: PendingAnswer[] = [];
  const summary = { tickets: 0, projects: 0, invitations: 0, responses: 0 };

  const answerUntil = async (until: Date) => {
    pending.sort((a, b) => a.at.getTime() - b.at.getTime());
    while (pending[0] && pending[0].at <= until) {
      const answer = pending.shift()!;
      clock.at = answer.at;
      const [row] = await ctx.db
        .select({ nonce: invitations.tokenNonce, status: invitations.status })
        .from(invitations)
        .where(eq(invitations.id, answer.invitationId));
      if (row?.status !== "sent") continue;
      const outcome = await postComment({
        ctx: demo,
        input: {
          token: tokenFor(secret, row.nonce),
          score: answer.score,
          comment: answer.comment,
          // Demo answers come from no request: no agent, languages or address to keep.
          evidence: { userAgent: null, acceptLanguage: null, ipHash: null },
        },
      });
      if (outcome.kind === "saved") summary.responses++;
    }
  };

  const ingest = async (event: CanonicalEvent, kind: "ticket" | "project") => {
    const closedAt = new Date(event.occurredAt);
    await answerUntil(closedAt);
    clock.at = closedAt;
    const result = await ingestEvent({ ctx: demo, input: { source: "demo", event } });
    clock.at = new Date(closedAt.getTime() + 60_000);
    await runLane(demo, lanes.survey);
    if (result.invitation?.status !== "scheduled") return;
    summary.invitations++;
    const client = event.client.externalId;
    // Fjord Legal had a rough quarter (and leaves); escalated tickets score a little lower.
    const mood = (client === "fjord" ? -0.2 : 0) - (event.touches.length > 1 ? 0.06 : 0);
    const respond = rng.chance(kind === "ticket" ? 0.42 : 0.7);
    if (!respond) return;
    const at = new Date(closedAt.getTime() + rng.int(10, 36 * 60) * 60_000);
    if (at > end) return;
    pending.push({ at, invitationId: result.invitation.id, ...answerFor(kind, mood) });
  };

  const answerFor = (kind: "ticket" | "project", mood: number) => {
    const roll = rng.next() + mood;
    if (kind === "project") {
      if (roll > 0.4) {
        const comment = rng.chance(0.5) ? rng.pick(projectComments.promoter) : "";
        return { score: rng.int(9, 10), comment };
      }
      if (roll > 0.15) return { score: rng.int(7, 8), comment: rng.pick(projectComments.passive) };
      return { score: rng.int(3, 6), comment: rng.pick(projectComments.detractor) };
    }
    if (roll > 0.2) return { score: 3, comment: rng.chance(0.3) ? rng.pick(positiveComments) : "" };
    if (roll > 0.08) return { score: 2, comment: rng.chance(0.5) ? rng.pick(neutralComments) : "" };
    return { score: 1, comment: rng.chance(0.8) ? rng.pick(negativeComments) : "" };
  };

  const membersOf = (team: string) => demoMembers.filter((member) => member.team === team);
  const touch = (
    member: (typeof demoMembers)[number],
    at: Date,
    minutes: number,
    role = "resource",
  ) => ({
    member: {
      externalId: member.externalId,
      name: member.name,
      email: `${member.externalId}@msp.example`,
    },
    team: member.team,
    at: at.toISOString(),
    minutes,
    role: role as "resource",
  });
  // The ticket's contact is drawn at random; a project's is always the client's first contact
  // (the draw is still made, so a seed gives the same sequence as before).
  const contactFor = (client: (typeof demoClients)[number], fixed?: number) => {
    const drawn = rng.int(0, contactNames.length - 1);
    const index = fixed ?? drawn;
    const name = contactNames[index]!;
    return {
      externalId: `${client.externalId}-${index + 1}`,
      name,
      email: `${name.toLowerCase().replace(" ", ".")}@${client.domain}`,
      locale: client.externalId === "delta" ? "de-DE" : "en-US",
    };
  };

  let ticketNumber = 48_000;
  for (let day = 0; day < input.days; day++) {
    const date = new Date(start.getTime() + day * DAY);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    const count = weekend
      ? rng.int(0, 1)
      : rng.int(Math.max(1, input.ticketsPerDay - 2), input.ticketsPerDay + 2);
    const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    const times = Array.from(
      { length: count },
      () => midnight + 8 * HOUR + rng.int(0, 9 * 60) * 60_000,
    )
      .filter((at) => at < end.getTime())
      .sort((a, b) => a - b);
    for (const closed of times) {
      ticketNumber++;
      const client = rng.pick(demoClients);
      const opened = closed - rng.int(30, 72 * 60) * 60_000;
      const desk = membersOf("help-desk");
      const owner = desk[ticketNumber % desk.length]!;
      const touches = [touch(owner, new Date(opened + 10 * 60_000), rng.int(15, 90), "owner")];
      if (rng.chance(0.25)) {
        const team = rng.chance(0.6) ? "centralized-services" : "technical-alignment";
        touches.push(
          touch(rng.pick(membersOf(team)), new Date(closed - HOUR), rng.int(20, 120), "time-entry"),
        );
      }
      await ingest(
        {
          id: `demo-ticket-${ticketNumber}-closed`,
          type: "ticket.closed",
          occurredAt: new Date(closed).toISOString(),
          workItem: {
            externalId: String(ticketNumber),
            kind: "ticket",
            summary: rng.pick(ticketSummaries),
            board: touches.length > 1 ? "Escalations" : "Help Desk",
            openedAt: new Date(opened).toISOString(),
            closedAt: new Date(closed).toISOString(),
            firstResponseAt: new Date(opened + 10 * 60_000).toISOString(),
          },
          client: { externalId: client.externalId, name: client.name },
          contact: contactFor(client),
          touches,
        },
        "ticket",
      );
      summary.tickets++;
    }
    if (day % 15 === 7) {
      const project = summary.projects;
      const client = demoClients[project % demoClients.length]!;
      const closed = midnight + 16 * HOUR;
      if (closed < end.getTime()) {
        const opened = closed - 30 * DAY;
        await ingest(
          {
            id: `demo-project-${project + 1}-completed`,
            type: "project.completed",
            occurredAt: new Date(closed).toISOString(),
            workItem: {
              externalId: `P-${200 + project}`,
              kind: "project",
              summary: projectSummaries[project % projectSummaries.length]!,
              board: "Projects",
              openedAt: new Date(opened).toISOString(),
              closedAt: new Date(closed).toISOString(),
            },
            client: { externalId: client.externalId, name: client.name },
            contact: contactFor(client, 0),
            touches: [
              touch(
                rng.pick(membersOf("projects")),
                new Date(opened + DAY),
                rng.int(600, 2400),
                "owner",
              ),
              touch(
                rng.pick(membersOf("projects")),
                new Date(opened + 5 * DAY),
                rng.int(300, 1200),
              ),
              touch(
                rng.pick(membersOf("technical-alignment")),
                new Date(opened + 2 * DAY),
                rng.int(120, 480),
              ),
              touch(
                rng.pick(membersOf("help-desk")),
                new Date(closed - DAY),
                rng.int(60, 240),
                "time-entry",
              ),
            ],
          },
          "project",
        );
        summary.projects++;
      }
    }
  }
  await answerUntil(end);
  clock.at = end;
  await finishDirectory(demo, start, end);
  const followupCount = await workFollowups(demo, rng, end);
  const goals = await addGoals(demo);
  const { key } = await createApiKey({ ctx, input: { name: "demo admin", scopes: ["admin"] } });
  return { ...summary, followups: followupCount, goals, adminKey: key };
}

/** `rapport demo`: fills the configured database, then prints the admin key and where to look. */
export async function demoCommand(
  config: Config,
  logger: Logger,
  args: string[] = [],
): Promise<number> {
  const days = daysFrom(args);
  const { openConfiguredDatabase, describeDatabase } = await import("../runtime.ts");
  const database = await openConfiguredDatabase(config);
  try {
    process.stderr.write(
      `rapport: filling ${describeDatabase(config)} with ${days} days of demo data…\n`,
    );
    const summary = await runDemo({
      ctx: { db: database.db, clock: systemClock, config, logger },
      input: { days, ticketsPerDay: 6, seed: 2026 },
    });
    process.stderr.write(
      `rapport: ${summary.tickets} tickets, ${summary.projects} projects, ${summary.invitations} surveys sent, ${summary.responses} answers, ${summary.followups} follow-ups, ${summary.goals} goals.\n`,
    );
    process.stdout.write(
      `Admin API key (shown once): ${summary.adminKey}\nDashboard: ${config.PUBLIC_BASE_URL}/dashboard (sign in with the key; start the server with npm start)\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof DemoRefused) {
      process.stderr.write(`rapport: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
}

function daysFrom(args: string[]): number {
  let values: { days?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { days: { type: "string" } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const days = Number(values.days ?? 90);
  if (!Number.isInteger(days) || days < 1 || days > 730) {
    throw new UsageError("demo --days takes a whole number of days from 1 to 730.");
  }
  return days;
}

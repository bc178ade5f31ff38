import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import autocannon from "autocannon";
import { Hono } from "hono";
import postgres from "postgres";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { systemClock } from "../src/context.ts";
import { openDatabase } from "../src/db/client.ts";
import { clients, contacts, invitations, surveys } from "../src/db/schema/index.ts";
import { createLogger } from "../src/logger.ts";
import { hashToken, newTokenNonce, tokenFor } from "../src/surveys/tokens.ts";

export interface ClickBenchFigures {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
}

export interface ClickBench {
  rapport: ClickBenchFigures;
  baseline: ClickBenchFigures;
  /** rapport's req/s over the baseline's. */
  ratio: number;
}

const PERSON = {
  "user-agent":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  "accept-language": "en-US,en;q=0.9",
};

/**
 * `GET /r/{token}/{score}` on rapport (token check, row lock, scanner analysis, click evidence,
 * upsert, branded page) against a bare Hono + postgres.js server doing one indexed lookup and
 * one upsert per request, on the same PostgreSQL database in the same run.
 */
export async function benchClick(options: {
  databaseUrl: string;
  durationSeconds: number;
  connections: number;
}): Promise<ClickBench> {
  const name = `rapport_bench_click_${randomBytes(4).toString("hex")}`;
  const admin = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(options.databaseUrl);
  url.pathname = `/${name}`;
  const secret = randomBytes(32).toString("base64url");
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    APP_SECRET: secret,
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "1000000000",
    DATABASE_POOL_SIZE: String(Math.max(10, options.connections)),
  });
  const database = await openDatabase({
    driver: "postgres",
    url: url.toString(),
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const servers: ServerType[] = [];
  const sql = postgres(url.toString(), { max: config.DATABASE_POOL_SIZE, onnotice: () => {} });
  try {
    const ours = await seed(database.db, secret, 500);
    const theirs = await seed(database.db, secret, 500);
    const services = { config, logger: createLogger("silent"), database, clock: systemClock };
    const rapportUrl = await listen(createApp(services).fetch, servers);
    const baselineUrl = await listen(baselineApp(sql).fetch, servers);
    // Each invitation is clicked with one score, as a person would; repeats are re-clicks.
    const rapport = await drive(rapportUrl, ours, options);
    const baseline = await drive(baselineUrl, theirs, options);
    return {
      rapport,
      baseline,
      ratio:
        Math.round((rapport.requestsPerSecond / Math.max(1, baseline.requestsPerSecond)) * 100) /
        100,
    };
  } finally {
    for (const server of servers) await new Promise((done) => server.close(done));
    await sql.end();
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function seed(
  db: Awaited<ReturnType<typeof openDatabase>>["db"],
  secret: string,
  count: number,
) {
  const tag = randomBytes(4).toString("hex");
  const [survey] = await db
    .insert(surveys)
    .values({ key: `bench-${tag}`, scale: "nps", trigger: "manual" })
    .returning();
  const [client] = await db
    .insert(clients)
    .values({ externalId: `bench-${tag}`, name: "Bench" })
    .returning();
  const people = await db
    .insert(contacts)
    .values(
      Array.from({ length: count }, (_, i) => ({
        clientId: client!.id,
        externalId: `bench-${tag}-${i}`,
        locale: "en",
      })),
    )
    .returning({ id: contacts.id });
  const sentAt = new Date(Date.now() - 3_600_000);
  const tokens = people.map(() => tokenFor(secret, newTokenNonce()));
  await db.insert(invitations).values(
    people.map((person, i) => ({
      surveyId: survey!.id,
      contactId: person.id,
      clientId: client!.id,
      tokenNonce: "bench",
      tokenHash: hashToken(tokens[i]!),
      status: "sent" as const,
      sendAt: sentAt,
      nextAttemptAt: sentAt,
      sentAt,
      expiresAt: new Date(Date.now() + 86_400_000),
    })),
  );
  return tokens;
}

/** The least a click endpoint must do: find the invitation by its token hash, upsert the answer. */
function baselineApp(sql: postgres.Sql) {
  const app = new Hono();
  app.get("/r/:token/:score", async (c) => {
    const score = Number(c.req.param("score"));
    const [invitation] =
      await sql`select id, survey_id, client_id from invitations where token_hash = ${hashToken(c.req.param("token"))}`;
    if (!invitation) return c.html("<p>Not found</p>", 404);
    await sql`insert into responses (invitation_id, survey_id, client_id, scale, score, responded_at, final_at)
      values (${invitation.id}, ${invitation.survey_id}, ${invitation.client_id}, 'nps', ${score}, now(), now() + interval '30 minutes')
      on conflict (invitation_id) do update set score = excluded.score, updated_at = now()`;
    return c.html(`<!doctype html><p>Thank you: ${score}</p>`);
  });
  return app;
}

function listen(fetch: (request: Request) => Response | Promise<Response>, servers: ServerType[]) {
  return new Promise<string>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
    servers.push(server);
  });
}

async function drive(
  baseUrl: string,
  tokens: string[],
  options: { durationSeconds: number; connections: number },
): Promise<ClickBenchFigures> {
  let n = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: [
      {
        method: "GET",
        headers: PERSON,
        setupRequest: (request) => {
          const i = n++ % tokens.length;
          return { ...request, path: `/r/${tokens[i]}/${i % 11}` };
        },
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
  };
}

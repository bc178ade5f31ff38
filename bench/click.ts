import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { defaultPoolSize } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { clients, contacts, invitations, surveys } from "../src/db/schema/index.ts";
import { hashToken, newTokenNonce, tokenFor } from "../src/surveys/tokens.ts";
import {
  type ChildServer,
  freshDatabase,
  memoryOf,
  ROOT,
  type Round,
  type SideFigures,
  START_FLAGS,
  startChild,
  takeTurns,
} from "./support.ts";

export interface ClickBench {
  rapport: SideFigures;
  baseline: SideFigures;
  /** rapport's req/s over the baseline's. */
  ratio: number;
  /** Highest resident memory (VmRSS, sampled every 200 ms) of the rapport server under the load. */
  rssMb: number;
}

/**
 * Invitations per side. At a few thousand clicks a second each is re-clicked every second or
 * two: several clicks inside the 10-second burst window, as a person clicking again would make,
 * rather than the dozens a flood of one invitation would.
 */
const INVITATIONS = 5_000;

/** Turns each side takes; `durationSeconds` is split between a side's turns. */
const TURNS = 4;

const PERSON = {
  "user-agent":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  "accept-language": "en-US,en;q=0.9",
};

/**
 * `GET /r/{token}/{score}` on a rapport server process (`rapport serve`: token check, row lock,
 * scanner analysis, click evidence, upsert, branded page, request log) against a bare Hono +
 * postgres.js process doing one indexed lookup and one upsert per request, on the same
 * PostgreSQL database in the same run. Both run as child processes with the same pool size (the
 * shipped default for this machine, `defaultPoolSize()`), so neither shares its CPU time or memory
 * with autocannon; the server's RSS is read from /proc. The 50 connections queue for the pool as
 * they would in production: on 2 cores, 50 busy PostgreSQL backends cost rapport's click a fifth
 * of its throughput (more CPU per statement) and leave the baseline's unchanged.
 */
export async function benchClick(options: {
  databaseUrl: string;
  durationSeconds: number;
  /** Uncounted load per side after priming, before the measured turns. */
  warmupSeconds: number;
  connections: number;
}): Promise<ClickBench> {
  const database = await freshDatabase(options.databaseUrl, "click");
  const secret = randomBytes(32).toString("base64url");
  const poolSize = String(defaultPoolSize());
  const children: ChildServer[] = [];
  try {
    // Migrates the fresh database (as `rapport serve` would) and seeds both invitation sets.
    const seeding = await openDatabase({ driver: "postgres", url: database.url, poolSize: 2 });
    const ours = await seed(seeding.db, secret, INVITATIONS);
    const theirs = await seed(seeding.db, secret, INVITATIONS);
    await seeding.close();

    const server = await startChild([...START_FLAGS, `${ROOT}/bin/rapport.js`, "serve"], {
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: poolSize,
      APP_SECRET: secret,
      WORKER_ENABLED: "false",
      // The wide request log line stays on, as in production; the pipe is drained.
      LOG_LEVEL: "info",
      RATE_LIMIT_PER_MINUTE: "1000000000",
      PORT: "0",
      HOST: "127.0.0.1",
    });
    children.push(server);
    const bare = await startChild(["--import", "tsx", `${ROOT}/bench/baselines/click-server.ts`], {
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: poolSize,
    });
    children.push(bare);
    // Each invitation is answered once before the measured load, which re-clicks them.
    await prime(server.baseUrl, ours, options.connections);
    await prime(bare.baseUrl, theirs, options.connections);
    // Uncounted load, for both alike: V8 keeps compiling a server's hot code into optimized
    // machine code for thousands of requests, the longer the more code a request runs (rapport's
    // click runs several times the baseline's). Measured turns then show the servers as they run
    // for days, not their first seconds.
    for (const [side, tokens] of [
      [server, ours],
      [bare, theirs],
    ] as const) {
      const warm = await clicks(side.baseUrl, tokens, {
        connections: options.connections,
        duration: options.warmupSeconds,
      });
      if (warm.non2xx > 0 || warm.errors > 0) throw new Error("click bench: warm-up clicks failed");
    }

    // Resident memory is sampled while rapport's load runs (start-up's peak is not load).
    let peakMb = memoryOf(server.child.pid!).rssMb;
    const turnSeconds = options.durationSeconds / TURNS;
    const { rapport, baseline } = await takeTurns(
      { rapport: server, baseline: bare },
      ["rapport", "baseline"],
      { turns: TURNS, connections: options.connections },
      async (side) => {
        const sampler =
          side === "rapport"
            ? setInterval(() => {
                peakMb = Math.max(peakMb, memoryOf(server.child.pid!).rssMb);
              }, 200)
            : undefined;
        try {
          return await drive(
            (side === "rapport" ? server : bare).baseUrl,
            side === "rapport" ? ours : theirs,
            options.connections,
            turnSeconds,
          );
        } finally {
          clearInterval(sampler);
        }
      },
    );
    await server.stop();
    await bare.stop();
    return {
      rapport,
      baseline,
      ratio:
        Math.round((rapport.requestsPerSecond / Math.max(1, baseline.requestsPerSecond)) * 100) /
        100,
      rssMb: peakMb,
    };
  } finally {
    for (const { child, stop } of children) {
      if (child.exitCode === null && child.signalCode === null) await stop();
    }
    await database.drop();
  }
}

export async function seed(
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

/**
 * Clicks the invitations in turn, each always with the same score, as a person would: the
 * first pass answers them, later passes re-click.
 */
export function clicks(
  baseUrl: string,
  tokens: string[],
  load: { connections: number; skipAggregateResult?: boolean } & (
    | { amount: number }
    | { duration: number }
  ),
) {
  let n = 0;
  return autocannon({
    url: baseUrl,
    ...load,
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
}

/** One click per invitation, the person's answer, before the load is measured. */
async function prime(baseUrl: string, tokens: string[], connections: number) {
  const result = await clicks(baseUrl, tokens, { connections, amount: tokens.length });
  if (result.non2xx > 0 || result.errors > 0) throw new Error("click bench: priming clicks failed");
}

async function drive(
  baseUrl: string,
  tokens: string[],
  connections: number,
  seconds: number,
): Promise<Round> {
  const result = await clicks(baseUrl, tokens, {
    connections,
    duration: seconds,
    skipAggregateResult: true,
  });
  return result as unknown as Round;
}

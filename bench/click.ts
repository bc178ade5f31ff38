import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { defaultPoolSize } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { clients, contacts, invitations, surveys } from "../src/db/schema/index.ts";
import { hashToken, newTokenNonce, tokenFor } from "../src/surveys/tokens.ts";
import {
  type ChildServer,
  cpuMsOf,
  cpuMsPerRequest,
  freshDatabase,
  memoryOf,
  ROOT,
  START_FLAGS,
  startChild,
} from "./support.ts";

export interface ClickBenchFigures {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  /** Connection errors and time-outs. */
  errors: number;
  /** The server process's CPU time per request, user and system, in milliseconds. */
  cpuMsPerRequest: number;
}

export interface ClickBench {
  rapport: ClickBenchFigures;
  baseline: ClickBenchFigures;
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
const ROUNDS = 4;

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

    // The two sides take turns (rapport, baseline, baseline, rapport, ...), so a slow spell of
    // a shared machine falls on both rather than on whichever side it happens to meet.
    // Resident memory is sampled while rapport's load runs (start-up's peak is not load).
    const roundSeconds = options.durationSeconds / ROUNDS;
    const rounds = { rapport: [] as Round[], baseline: [] as Round[] };
    const cpuMs = { rapport: 0, baseline: 0 };
    let peakMb = memoryOf(server.child.pid!).rssMb;
    for (let round = 0; round < ROUNDS; round++) {
      const order =
        round % 2 === 0 ? (["rapport", "baseline"] as const) : (["baseline", "rapport"] as const);
      for (const side of order) {
        const { child, baseUrl } = side === "rapport" ? server : bare;
        const sampler =
          side === "rapport"
            ? setInterval(() => {
                peakMb = Math.max(peakMb, memoryOf(child.pid!).rssMb);
              }, 200)
            : undefined;
        const cpuBefore = cpuMsOf(child.pid!);
        try {
          rounds[side].push(
            await drive(
              baseUrl,
              side === "rapport" ? ours : theirs,
              options.connections,
              roundSeconds,
            ),
          );
        } finally {
          clearInterval(sampler);
        }
        cpuMs[side] += cpuMsOf(child.pid!) - cpuBefore;
      }
    }
    await server.stop();
    await bare.stop();
    const rapport = combined(server.baseUrl, options.connections, rounds.rapport, cpuMs.rapport);
    const baseline = combined(bare.baseUrl, options.connections, rounds.baseline, cpuMs.baseline);
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

/**
 * Clicks the invitations in turn, each always with the same score, as a person would: the
 * first pass answers them, later passes re-click.
 */
function clicks(
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

/**
 * One round's raw result (`skipAggregateResult`): its latency histogram stays encoded until the
 * side's rounds are merged.
 */
interface Round {
  totalCompletedRequests: number;
  duration: number;
  non2xx: number;
}

/** autocannon's merge of raw results, which its type declarations leave out. */
const { aggregateResult } = autocannon as unknown as {
  aggregateResult(
    results: Round[],
    options: { url: string; connections: number },
  ): autocannon.Result;
};

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

/**
 * A side's rounds as one figure: all its requests over all its time, the p99 of all its
 * requests (autocannon merges the rounds' latency histograms), and its server's CPU time over
 * its requests.
 */
function combined(
  baseUrl: string,
  connections: number,
  rounds: Round[],
  cpuMs: number,
): ClickBenchFigures {
  const requests = rounds.reduce((sum, round) => sum + round.totalCompletedRequests, 0);
  const seconds = rounds.reduce((sum, round) => sum + round.duration, 0);
  const merged = aggregateResult(rounds, { url: baseUrl, connections });
  return {
    requestsPerSecond: Math.round(requests / seconds),
    p99Ms: merged.latency.p99,
    non2xx: merged.non2xx,
    errors: merged.errors + merged.timeouts,
    cpuMsPerRequest: cpuMsPerRequest(cpuMs, requests),
  };
}

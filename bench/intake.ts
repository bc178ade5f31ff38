import { execFileSync } from "node:child_process";
import autocannon from "autocannon";
import postgres from "postgres";
import { defaultPoolSize } from "../src/config.ts";
import {
  type ChildServer,
  freshDatabase,
  ROOT,
  type Round,
  type SideFigures,
  START_FLAGS,
  startChild,
  takeTurns,
} from "./support.ts";

const teams = ["help-desk", "projects", "centralized-services", "technical-alignment"];
const CLIENTS = 200;
const MEMBERS = 24;

/**
 * A ticket.closed event with three touches from two teams, unique per call: a distinct ticket
 * and contact (so every event schedules its survey, as the baseline writes an invitation for
 * each: a contact surveyed already would be throttled, a cheaper path), one of 200 clients, and
 * three of 24 technicians, each in a stable team (member m is in team m % 4).
 */
export function intakeEvent(n: number, runId: string) {
  const contact = `${runId}-${n}`;
  const client = n % CLIENTS;
  const at = new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString();
  const owner = n % MEMBERS;
  // Same team as the owner, then the next team.
  const touched = [owner, (owner + 4) % MEMBERS, (owner + 5) % MEMBERS];
  return {
    id: `bench-${runId}-${n}`,
    type: "ticket.closed",
    occurredAt: at,
    workItem: {
      externalId: `${runId}-${n}`,
      kind: "ticket",
      summary: `Printer offline on floor ${n % 7}`,
      board: "Help Desk",
      openedAt: at,
      closedAt: at,
    },
    client: { externalId: `client-${client}`, name: `Client ${client}` },
    contact: {
      externalId: `contact-${contact}`,
      email: `person-${contact}@client-${client}.example`,
      name: `Person ${contact}`,
    },
    touches: touched.map((member, i) => ({
      member: { externalId: `member-${member}`, name: `Member ${member}` },
      team: teams[member % teams.length]!,
      at,
      minutes: 10 + i * 5,
      role: i === 0 ? "owner" : "resource",
    })),
  };
}

/** Turns each side takes; the bench's seconds are split between a side's turns. */
const TURNS = 4;

/** A turn's events are those whose ids carry its `runId`. */
interface Turn {
  runId: string;
  round: Round;
}

/** One turn of events to a server, each event unique to the turn's `runId`. */
async function drive(
  server: ChildServer,
  key: string | null,
  runId: string,
  options: { seconds: number; connections: number },
): Promise<Round> {
  let n = 0;
  const result = await autocannon({
    url: `${server.baseUrl}/v1/events`,
    connections: options.connections,
    duration: options.seconds,
    skipAggregateResult: true,
    requests: [
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify(intakeEvent(n++, runId)),
        }),
      },
    ],
  });
  return result as unknown as Round;
}

/**
 * A side did the work it is compared on: every event of each of its turns left one invitation
 * in its database (requests cut off at the end of a turn may still have been recorded: up to one
 * per connection more), and every one answered 2xx.
 */
async function checkWork(
  side: string,
  databaseUrl: string,
  figures: SideFigures,
  turns: Turn[],
  connections: number,
) {
  if (figures.errors > 0 || figures.non2xx > 0 || turns.length === 0) {
    throw new Error(
      `intake bench: ${side} answered ${figures.non2xx} non-2xx and ${figures.errors} errors`,
    );
  }
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (const { runId, round } of turns) {
      const [row] = await sql`select count(*)::int as n from invitations i
        join work_items w on w.id = i.work_item_id where w.external_id like ${`${runId}-%`}`;
      const answered = round.totalCompletedRequests;
      if (answered === 0 || row!.n < answered || row!.n > answered + connections) {
        throw new Error(
          `intake bench: ${side} answered ${answered} events but scheduled ${row!.n} invitations`,
        );
      }
    }
  } finally {
    await sql.end();
  }
}

export interface IntakeBench {
  rapport: SideFigures;
  baseline: SideFigures;
}

/**
 * `POST /v1/events` on a rapport server process vs the bare baseline, each on a fresh database,
 * in alternating turns like the click bench's.
 */
export async function benchIntake(options: {
  serverUrl: string;
  seconds: number;
  /** Uncounted load per side before the measured turns, as in the click bench. */
  warmupSeconds: number;
  connections: number;
}): Promise<IntakeBench> {
  const cli = `${ROOT}/bin/rapport.js`;
  const ours = await freshDatabase(options.serverUrl, "intake");
  const theirs = await freshDatabase(options.serverUrl, "intake_base");
  const children: ChildServer[] = [];
  try {
    // Both servers get the pool size rapport ships with on this machine.
    const poolSize = String(defaultPoolSize());
    const env = { DATABASE_URL: ours.url, WORKER_ENABLED: "false", DATABASE_POOL_SIZE: poolSize };
    const key = execFileSync(
      process.execPath,
      [cli, "keys", "create", "--name", "bench", "--scopes", "events:write"],
      {
        env: { ...process.env, ...env },
        encoding: "utf8",
      },
    ).trim();
    execFileSync(process.execPath, [cli, "migrate"], {
      env: { ...process.env, DATABASE_URL: theirs.url },
      stdio: "ignore",
    });
    const server = await startChild([...START_FLAGS, cli, "serve"], {
      ...env,
      PORT: "0",
      HOST: "127.0.0.1",
    });
    children.push(server);
    const bare = await startChild(["--import", "tsx", `${ROOT}/bench/baselines/intake-server.ts`], {
      DATABASE_URL: theirs.url,
      DATABASE_POOL_SIZE: poolSize,
    });
    children.push(bare);

    const runId = Math.random().toString(36).slice(2, 8);
    const keys = { rapport: key, baseline: null };
    const servers = { rapport: server, baseline: bare };
    // Uncounted load first, for both servers alike: JIT, pool connections, first parties.
    for (const side of ["rapport", "baseline"] as const) {
      await drive(servers[side], keys[side], `${runId}w`, {
        connections: options.connections,
        seconds: options.warmupSeconds,
      });
    }
    const turns: Record<"rapport" | "baseline", Turn[]> = { rapport: [], baseline: [] };
    const figures = await takeTurns(
      servers,
      ["rapport", "baseline"],
      { turns: TURNS, connections: options.connections },
      async (side, index) => {
        const turnId = `${runId}t${index}`;
        const round = await drive(servers[side], keys[side], turnId, {
          seconds: options.seconds / TURNS,
          connections: options.connections,
        });
        turns[side].push({ runId: turnId, round });
        return round;
      },
    );
    await checkWork("rapport", ours.url, figures.rapport, turns.rapport, options.connections);
    await checkWork(
      "the baseline",
      theirs.url,
      figures.baseline,
      turns.baseline,
      options.connections,
    );
    return figures;
  } finally {
    for (const { child, stop } of children) {
      if (child.exitCode === null && child.signalCode === null) await stop();
    }
    await ours.drop();
    await theirs.drop();
  }
}

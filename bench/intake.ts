import { execFileSync } from "node:child_process";
import postgres from "postgres";
import { defaultPoolSize } from "../src/config.ts";
import {
  type ChildServer,
  cpuMsOf,
  cpuMsPerRequest,
  freshDatabase,
  type LoadResult,
  load,
  ROOT,
  START_FLAGS,
  startChild,
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

/** The measured load's figures, with the server process's CPU time per event in milliseconds. */
export type IntakeFigures = LoadResult & { runId: string; cpuMsPerRequest: number };

async function drive(
  server: ChildServer,
  key: string | null,
  seconds: number,
  connections: number,
): Promise<IntakeFigures> {
  const { baseUrl, child } = server;
  const send = (runId: string, duration: number) => {
    let n = 0;
    return load({
      url: `${baseUrl}/v1/events`,
      connections,
      duration,
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
  };
  const runId = Math.random().toString(36).slice(2, 8);
  // One uncounted second first, for both servers alike: JIT, pool connections, first parties.
  await send(`${runId}w`, 1);
  const cpuBefore = cpuMsOf(child.pid!);
  const result = await send(runId, seconds);
  const cpuMs = cpuMsOf(child.pid!) - cpuBefore;
  return {
    ...result,
    runId,
    cpuMsPerRequest: cpuMsPerRequest(cpuMs, result.total),
  };
}

/**
 * Both sides did the work they are compared on: every measured event answered 2xx and left one
 * invitation in its database (requests cut off at the end of the load may still have been
 * recorded: up to one per connection more).
 */
async function checkWork(
  side: string,
  databaseUrl: string,
  figures: IntakeFigures,
  connections: number,
) {
  if (figures.errors > 0 || figures.non2xx > 0 || figures.total === 0) {
    throw new Error(
      `intake bench: ${side} answered ${figures.non2xx} non-2xx and ${figures.errors} errors of ${figures.total}`,
    );
  }
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select count(*)::int as n from invitations i
      join work_items w on w.id = i.work_item_id where w.external_id like ${`${figures.runId}-%`}`;
    if (row!.n < figures.total || row!.n > figures.total + connections) {
      throw new Error(
        `intake bench: ${side} answered ${figures.total} events but scheduled ${row!.n} invitations`,
      );
    }
  } finally {
    await sql.end();
  }
}

export interface IntakeBench {
  rapport: IntakeFigures;
  baseline: IntakeFigures;
}

/** `POST /v1/events` on a rapport server process vs the bare baseline, each on a fresh database. */
export async function benchIntake(options: {
  serverUrl: string;
  seconds: number;
  connections: number;
}): Promise<IntakeBench> {
  const cli = `${ROOT}/bin/rapport.js`;
  const ours = await freshDatabase(options.serverUrl, "intake");
  const theirs = await freshDatabase(options.serverUrl, "intake_base");
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
    const rapport = await drive(server, key, options.seconds, options.connections);
    await server.stop();
    await checkWork("rapport", ours.url, rapport, options.connections);

    const bare = await startChild(["--import", "tsx", `${ROOT}/bench/baselines/intake-server.ts`], {
      DATABASE_URL: theirs.url,
      DATABASE_POOL_SIZE: poolSize,
    });
    const baseline = await drive(bare, null, options.seconds, options.connections);
    await bare.stop();
    await checkWork("the baseline", theirs.url, baseline, options.connections);
    return { rapport, baseline };
  } finally {
    await ours.drop();
    await theirs.drop();
  }
}

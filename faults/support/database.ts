import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { type Database, openDatabase } from "../../src/db/client.ts";
import { createServerDatabase } from "../../test/support/database.ts";
import { ROOT } from "./processes.ts";

const run = promisify(execFile);

/** The PostgreSQL server the scenarios use: FAULTS_DATABASE_URL, TEST_DATABASE_URL, or CI's. */
export function postgresServerUrl(): string {
  const configured = process.env.FAULTS_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (configured) return configured;
  return execFileSync("bash", [`${ROOT}.ci/postgres.sh`], { encoding: "utf8" }).trim();
}

export interface FreshDatabase {
  url: string;
  /** A small pool on the database, already migrated: for seeding and for the verdict's SQL. */
  database: Database;
  sql: postgres.Sql;
  drop(): Promise<void>;
}

/** A new, migrated database on the server, dropped (with its connections) by `drop`. */
export async function freshDatabase(serverUrl: string, label: string): Promise<FreshDatabase> {
  const server = await createServerDatabase(
    serverUrl,
    `rapport_fault_${label.replaceAll("-", "_")}`,
  );
  const database = await openDatabase({ driver: "postgres", url: server.url, poolSize: 4 });
  const sql = postgres(server.url, { max: 2, onnotice: () => {} });
  return {
    url: server.url,
    database,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 }).catch(() => {});
      await database.close().catch(() => {});
      await server.drop().catch(() => {});
    },
  };
}

/** A PostgreSQL cluster of one's own (to stop and start at will), on a free loopback port. */
export interface OwnCluster {
  url: string;
  stop(mode?: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function postgresBin(): string {
  const found = execFileSync(
    "bash",
    ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1"],
    {
      encoding: "utf8",
    },
  ).trim();
  if (!found)
    throw new Error("no PostgreSQL binaries under /usr/lib/postgresql (run .ci/postgres.sh)");
  return found;
}

/** initdb into a temporary directory (as the `postgres` user when run as root), then start it. */
export async function startOwnCluster(): Promise<OwnCluster> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "rapport-fault-pg-"));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const as = (command: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args);
  const port = await freePort();
  const data = join(dir, "data");
  await as(`${bin}/initdb`, ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off`;
  const start = async () => {
    await as(`${bin}/pg_ctl`, [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "60",
      "-o",
      options,
      "start",
    ]);
  };
  const stop = async (mode: "fast" | "immediate" = "fast") => {
    await as(`${bin}/pg_ctl`, ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: async () => {
      await stop("immediate").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

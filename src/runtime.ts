import { type Config, postgresHosts } from "./config.ts";
import { type Services, systemClock } from "./context.ts";
import { type Database, openDatabase } from "./db/client.ts";
import type { Logger } from "./logger.ts";

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  return config.DATABASE_URL
    ? openDatabase({
        driver: "postgres",
        url: config.DATABASE_URL,
        poolSize: config.DATABASE_POOL_SIZE,
      })
    : openDatabase({ driver: "pglite", dataDir: config.DATA_DIR });
}

export function describeDatabase(config: Config): string {
  if (!config.DATABASE_URL) return `embedded PGlite in ${config.DATA_DIR}`;
  // Hosts and database only: never the credentials.
  const read = postgresHosts(config.DATABASE_URL);
  if (!read) return "PostgreSQL (DATABASE_URL)";
  const hosts = read.hosts.map((host) =>
    host.startsWith("/") || /:\d+$/.test(host) ? host : `${host}:5432`,
  );
  return `PostgreSQL at ${hosts.join(",") || "the default host"}/${read.database}`;
}

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const database = await openConfiguredDatabase(config);
  return { config, logger, database, clock: systemClock };
}

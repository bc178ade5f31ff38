import type { Config } from "./config.ts";
import type { Database, Db } from "./db/client.ts";
import type { Logger } from "./logger.ts";

/** A source of the current time, replaceable in tests that need to move through time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What every domain function is handed: the database, the time, the settings, the log. */
export interface ServiceContext {
  db: Db;
  clock: Clock;
  config: Config;
  logger: Logger;
}

export interface Services extends Omit<ServiceContext, "db"> {
  database: Database;
}

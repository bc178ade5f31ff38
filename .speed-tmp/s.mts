import postgres from "postgres";
import { randomBytes } from "node:crypto";
import { openDatabase } from "/work/main/src/db/client.ts";
import { loadConfig } from "/work/main/src/config.ts";
import { createLogger } from "/work/main/src/logger.ts";
import { systemClock } from "/work/main/src/context.ts";
import { ingestEvent } from "/work/main/src/intake/ingest.ts";
import { CanonicalEvent } from "/work/main/src/intake/event.ts";
import { intakeEvent } from "/work/main/bench/intake.ts";

const server = "postgres://postgres@127.0.0.1:54329/postgres";
const name = `rapport_speed_${randomBytes(4).toString("hex")}`;
const admin = postgres(server, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(server); url.pathname = `/${name}`;
const database = await openDatabase({ driver: "postgres", url: url.toString(), poolSize: 10 });
const config = loadConfig({ LOG_LEVEL: "silent" });
const ctx = { db: database.db, clock: systemClock, config, logger: createLogger("silent") };
let n = 0; let done = 0;
const until = Date.now() + 8000;
const runId = "s" + Math.random().toString(36).slice(2, 6);
await Promise.all(Array.from({ length: Number(process.env.C ?? 10) }, async () => {
  while (Date.now() < until) {
    const event = CanonicalEvent.parse(intakeEvent(n++, runId));
    await ingestEvent({ ctx, input: { source: "api", event } });
    done++;
  }
}));
console.log("events/s", (done / 8).toFixed(0));
await database.close();
await admin.unsafe(`drop database ${name} with (force)`); await admin.end();

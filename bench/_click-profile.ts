import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { systemClock } from "../src/context.ts";
import { openDatabase } from "../src/db/client.ts";
import { createLogger } from "../src/logger.ts";
import { createInvitation } from "../test/support/factories.ts";

const base = "postgres://postgres@127.0.0.1:54329/postgres";
const name = `rapport_prof_${randomBytes(3).toString("hex")}`;
const admin = postgres(base, { max: 1 });
await admin.unsafe(`create database ${name}`);
const url = base.replace(/\/postgres$/, `/${name}`);
const secret = randomBytes(32).toString("base64url");
const config = loadConfig({ DATABASE_URL: url, APP_SECRET: secret, LOG_LEVEL: "silent", RATE_LIMIT_PER_MINUTE: "100000000" });
const database = await openDatabase({ driver: "postgres", url });
const app = createApp({ config, logger: createLogger("silent"), database, clock: { now: () => new Date("2026-11-18T18:00:00Z") } });
const tokens = [];
for (let i = 0; i < 40; i++) tokens.push((await createInvitation(database.db, secret)).token);
const headers = { "user-agent": "Mozilla/5.0 Chrome/142", "accept-language": "en" };
for (const label of ["first", "repeat"]) {
  const t0 = performance.now();
  for (const [i, token] of tokens.entries()) {
    const r = await app.request(`/r/${token}/${1 + (i % 3)}`, { headers });
    if (r.status !== 200) console.log(r.status, await r.text());
  }
  console.log(label, ((performance.now() - t0) / tokens.length).toFixed(2), "ms/req");
}
await database.close();
await admin.unsafe(`drop database ${name} with (force)`);
await admin.end();

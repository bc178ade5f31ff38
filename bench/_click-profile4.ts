import { randomBytes } from "node:crypto";
import { and, eq, gt, ne } from "drizzle-orm";
import postgres from "postgres";
import { openDatabase } from "../src/db/client.ts";
import { clicks } from "../src/db/schema/index.ts";
import { findByToken, responseOf } from "../src/responses/invitation-access.ts";
import { createInvitation } from "../test/support/factories.ts";

const base = "postgres://postgres@127.0.0.1:54329/postgres";
const name = `rapport_prof_${randomBytes(3).toString("hex")}`;
const admin = postgres(base, { max: 1 });
await admin.unsafe(`create database ${name}`);
const url = base.replace(/\/postgres$/, `/${name}`);
const secret = randomBytes(32).toString("base64url");
const database = await openDatabase({ driver: "postgres", url });
const tokens: string[] = [];
for (let i = 0; i < 300; i++) tokens.push((await createInvitation(database.db, secret)).token);
const totals: Record<string, number> = {};
const step = async <T>(label: string, fn: () => Promise<T>) => {
  const t0 = performance.now();
  const r = await fn();
  totals[label] = (totals[label] ?? 0) + performance.now() - t0;
  return r;
};
for (const [n, token] of tokens.entries()) { if (n === 100) for (const k of Object.keys(totals)) totals[k] = 0;
  await step("tx", () =>
    database.db.transaction(async (tx) => {
      const target = await step("find", () => findByToken(tx, token, { lock: true }));
      await step("response", () => responseOf(tx, target!.invitation.id));
      await step("recent", () =>
        tx.select().from(clicks).where(and(eq(clicks.invitationId, target!.invitation.id), gt(clicks.at, new Date(0)), ne(clicks.verdict, "ignored"))),
      );
      await step("insert", () => tx.insert(clicks).values({ invitationId: target!.invitation.id, score: 1, verdict: "recorded" }));
    }),
  );
}
for (const [k, v] of Object.entries(totals)) console.log(k, (v / (tokens.length - 100)).toFixed(2));
await database.close();
await admin.unsafe(`drop database ${name} with (force)`);
await admin.end();

import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "../src/context.ts";
import { type Database, openDatabase } from "../src/db/client.ts";
import { invitations } from "../src/db/schema/index.ts";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createDueInvitations } from "./support/factories.ts";
import { FakeResend } from "./support/fake-resend.ts";

const COUNT = 1000;
let t: TestApp;
let fake: FakeResend;
let secondPool: Database | undefined;

beforeAll(async () => {
  fake = await new FakeResend().start();
  t = await createTestApp({
    RESEND_API_KEY: "re_test_key",
    RESEND_BASE_URL: fake.url,
    RESEND_REQUESTS_PER_SECOND: "100",
    RESEND_TIMEOUT_MS: "500",
  });
});
afterAll(async () => {
  await secondPool?.close();
  await t.close();
  await fake.stop();
});

/** A second worker: its own configuration (so its own rate limiter) and, on PostgreSQL, its own pool. */
async function secondWorker(): Promise<ServiceContext> {
  const url = (t.services.database as Database & { url?: string }).url;
  if (url) secondPool = await openDatabase({ driver: "postgres", url, poolSize: 3 });
  return { ...t.ctx, config: { ...t.config }, db: secondPool?.db ?? t.ctx.db };
}

async function seedDue(count: number) {
  await createDueInvitations(t.ctx.db, await appSecret(t.ctx), t.clock.now(), count);
}

async function drain(ctx: ServiceContext) {
  let handled = 0;
  for (let done = await sendDueInvitations.runOnce(ctx); done > 0; ) {
    handled += done;
    done = await sendDueInvitations.runOnce(ctx);
  }
  return handled;
}

describe("two workers on one database", () => {
  it(`send ${COUNT} due invitations as exactly ${COUNT} emails, even with provider failures`, async () => {
    await seedDue(COUNT);
    const other = await secondWorker();
    fake.script("server-error", "close", "ok", "rate-limit", "hang");
    for (let round = 0; round < 10; round++) {
      await Promise.all([drain(t.ctx), drain(other)]);
      const [left] = await t.ctx.db
        .select({ count: sql<number>`count(*)::int` })
        .from(invitations)
        .where(eq(invitations.status, "sending"));
      if (left!.count === 0) break;
      t.clock.advance(2 * 3_600_000);
    }
    const statuses = await t.ctx.db
      .select({ status: invitations.status, count: sql<number>`count(*)::int` })
      .from(invitations)
      .groupBy(invitations.status);
    expect(statuses).toEqual([{ status: "sent", count: COUNT }]);
    expect(fake.sent).toHaveLength(COUNT);
    expect(new Set(fake.sent.map((email) => email.invitationId)).size).toBe(COUNT);
    const distinctIds = await t.ctx.db
      .select({ count: sql<number>`count(distinct ${invitations.providerMessageId})::int` })
      .from(invitations);
    expect(distinctIds[0]!.count).toBe(COUNT);
  });
});

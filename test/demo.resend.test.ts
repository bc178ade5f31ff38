import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../src/cli/demo.ts";
import { outboxEmails } from "../src/db/schema/index.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { FakeResend } from "./support/fake-resend.ts";

let t: TestApp;
let resend: FakeResend;
beforeAll(async () => {
  resend = await new FakeResend().start();
  // An operator trying the demo with the production configuration at hand.
  t = await createTestApp({ RESEND_API_KEY: "re_live_key", RESEND_BASE_URL: resend.url });
});
afterAll(async () => {
  await t.close();
  await resend.stop();
});

describe("the demo with Resend configured", () => {
  it("keeps its invented survey emails in the local outbox and sends nothing", async () => {
    const summary = await runDemo({ ctx: t.ctx, input: { days: 3, ticketsPerDay: 2, seed: 7 } });
    expect(summary.tickets).toBeGreaterThan(0);
    expect(resend.sent).toEqual([]);
    expect((await t.ctx.db.select().from(outboxEmails)).length).toBeGreaterThan(0);
  });
});

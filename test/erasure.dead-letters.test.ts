import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetters } from "../src/db/schema/index.ts";
import { createTestApp, type TestApp } from "./support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("erasure and dead letters that name the address at the end of a sentence", () => {
  it("removes a kept PSA delivery whose text names the whole address followed by a full stop", async () => {
    const writer = await t.key("directory:write");
    const EMAIL = "zelda.quistorp@acmeq.example";
    expect(
      (
        await t.request("/v1/clients/cq-1", {
          method: "PUT",
          key: writer,
          json: { name: "Acme Q" },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await t.request("/v1/contacts/zq-1", {
          method: "PUT",
          key: writer,
          json: { clientExternalId: "cq-1", email: EMAIL, name: "Zelda Quistorp" },
        })
      ).status,
    ).toBe(201);
    // A PSA delivery kept because it could not be mapped: the ticket's text names the person's
    // address, at the end of a sentence.
    await t.ctx.db.insert(deadLetters).values([
      {
        source: "autotask:x",
        reason: "`QueueID` is missing: the team cannot be chosen.",
        body: JSON.stringify({
          Id: 90412,
          Description: `Printer offline. Please reply to ${EMAIL}.`,
        }),
      },
      {
        source: "autotask:x",
        reason: "`QueueID` is missing: the team cannot be chosen.",
        body: JSON.stringify({ Id: 90413, Description: `Reply to ${EMAIL}. Thanks` }),
      },
      // Someone else's longer address stays.
      {
        source: "autotask:x",
        reason: "`QueueID` is missing: the team cannot be chosen.",
        body: JSON.stringify({ Id: 90414, Description: `Reply to ${EMAIL}.org please` }),
      },
    ]);
    const erased = await t.request("/v1/contacts/zq-1", { method: "DELETE", key: writer });
    expect(erased.status).toBe(200);
    const kept = (await t.ctx.db.select({ body: deadLetters.body }).from(deadLetters)).map(
      (row) => JSON.parse(row.body).Id,
    );
    expect(kept.sort()).toEqual([90414]);
  });
});

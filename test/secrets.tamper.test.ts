import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrations, webhookSubscriptions } from "../src/db/schema/index.ts";
import { decryptSecrets } from "../src/integrations/secrets.ts";
import { decryptSecret } from "../src/webhooks/secrets.ts";
import { createTestApp, type TestApp } from "./support/app.ts";

/*
 * Stored secrets are AES-256-GCM with a 16-byte tag. Node's decipher takes a tag cut down to
 * 4 bytes unless told its length: a stored value with a truncated tag must not decrypt, or the
 * authentication is only as strong as the shortest tag someone writing to the database picks.
 */
function truncateTag(stored: string, bytes: number): string {
  const [format, iv, tag, sealed] = stored.split(".");
  const short = Buffer.from(tag!, "base64url").subarray(0, bytes).toString("base64url");
  return [format, iv, short, sealed].join(".");
}

describe("stored ciphertexts with a truncated GCM tag are refused", () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp({ APP_SECRET: "s".repeat(40), OUTBOUND_ALLOW_PRIVATE: "true" });
    admin = await t.key("admin");
  });
  afterAll(() => t.close());

  it("integration secrets: a 4-byte tag does not authenticate", async () => {
    const created = await (
      await t.request("/v1/integrations", {
        key: admin,
        json: { vendor: "autotask", name: "Autotask", secrets: { webhookSecret: "w" } },
      })
    ).json();
    const [row] = await t.ctx.db.select().from(integrations).where(eq(integrations.id, created.id));
    const tampered = truncateTag(row!.encryptedSecrets!, 4);
    await t.ctx.db
      .update(integrations)
      .set({ encryptedSecrets: tampered })
      .where(eq(integrations.id, created.id));
    await expect(decryptSecrets(t.ctx, created.id, tampered)).rejects.toThrow();
    const got = await (await t.request(`/v1/integrations/${created.id}`, { key: admin })).json();
    expect(got.secretsSet).toEqual([]);
  });

  it("webhook signing secrets: a 4-byte tag does not authenticate", async () => {
    const created = await t.request("/v1/webhooks/subscriptions", {
      key: admin,
      json: {
        url: "https://hooks.example.com/rapport",
        eventTypes: ["response.recorded"],
        format: "standard",
      },
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const [row] = await t.ctx.db
      .select()
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, id));
    await expect(decryptSecret(t.ctx, truncateTag(row!.encryptedSecret, 4))).rejects.toThrow();
  });
});

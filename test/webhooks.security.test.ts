import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  webhookAttempts,
  webhookDeliveries,
  webhookSubscriptions,
} from "../src/db/schema/index.ts";
import { webhookDeliveryJob } from "../src/webhooks/delivery-job.ts";
import { decryptSecret, encryptSecret, newSigningSecret } from "../src/webhooks/secrets.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { recordAnswer } from "./support/factories.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let t: TestApp;
let admin: string;
let receiver: WebhookReceiver;
// A public address written as an IP literal: accepted without any DNS look-up.
const PUBLIC_URL = "https://93.184.215.14/hooks";

beforeAll(async () => {
  t = await createTestApp({ OUTBOUND_ALLOW_PRIVATE: "false" });
  admin = await t.key("admin");
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

function create(url: string, key = admin) {
  return t.request("/v1/webhooks/subscriptions", {
    key,
    json: { url, eventTypes: ["followup.opened"] },
  });
}

describe("the SSRF guard refuses private destinations", () => {
  it.each([
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::7f00:1]/hook",
    "https://[2001:0:4136:e378::1]/hook",
    "https://[fd00::1]/hook",
    "https://192.168.1.20/hook",
    "https://localhost/hook",
    // Reserved, never globally reachable: documentation networks and the IPv6 discard prefix.
    "https://192.0.2.10/hook",
    "https://198.51.100.10/hook",
    "https://203.0.113.10/hook",
    "https://[2001:db8::1]/hook",
    "https://[3fff::1]/hook",
    "https://[100::1]/hook",
  ])("%s is refused with a 400 naming the url, and nothing is stored", async (url) => {
    const before = await t.ctx.db.select().from(webhookSubscriptions);
    const response = await create(url);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([
      expect.objectContaining({
        path: "url",
        in: "body",
        message: expect.stringContaining("private"),
      }),
    ]);
    expect(await t.ctx.db.select().from(webhookSubscriptions)).toEqual(before);
  });

  it("plain http is refused while private destinations are not allowed", async () => {
    const response = await create("http://93.184.215.14/hooks");
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.message).toContain("https");
  });

  it("changing a subscription's URL to a private one is refused too", async () => {
    const { id } = await (await create(PUBLIC_URL)).json();
    const response = await t.request(`/v1/webhooks/subscriptions/${id}`, {
      key: admin,
      method: "PATCH",
      json: { url: "https://127.0.0.1/hook" },
    });
    expect(response.status).toBe(400);
    const [row] = await t.ctx.db
      .select()
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, id));
    expect(row!.url).toBe(PUBLIC_URL);
    await t.request(`/v1/webhooks/subscriptions/${id}`, {
      key: admin,
      method: "PATCH",
      json: { active: false },
    });
  });

  it("a destination that became private after creation is refused at delivery time", async () => {
    // As if the name's DNS answer changed: the stored URL now points at loopback.
    const [subscription] = await t.ctx.db
      .insert(webhookSubscriptions)
      .values({
        url: receiver.url,
        eventTypes: ["followup.opened"],
        encryptedSecret: await encryptSecret(t.ctx, newSigningSecret()),
      })
      .returning();
    await recordAnswer(t.ctx, { scale: "nps", score: 3 });
    receiver.received.length = 0;
    expect(await webhookDeliveryJob.runOnce(t.ctx)).toBeGreaterThan(0);
    expect(receiver.received).toEqual([]);
    const [delivery] = await t.ctx.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.subscriptionId, subscription!.id));
    const attempts = await t.ctx.db
      .select()
      .from(webhookAttempts)
      .where(eq(webhookAttempts.deliveryId, delivery!.id));
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.error).toContain("refused");
    expect(attempts[0]!.statusCode).toBeNull();
    await t.ctx.db
      .update(webhookSubscriptions)
      .set({ active: false })
      .where(eq(webhookSubscriptions.id, subscription!.id));
  });
});

describe("the signing secret", () => {
  it("is shown once, on creation, and stored encrypted rather than in clear", async () => {
    const created = await create(PUBLIC_URL);
    expect(created.status).toBe(201);
    const { id, secret } = await created.json();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);

    const listed = await (await t.request("/v1/webhooks/subscriptions", { key: admin })).text();
    const fetched = await (
      await t.request(`/v1/webhooks/subscriptions/${id}`, { key: admin })
    ).text();
    for (const body of [listed, fetched]) {
      expect(body).toContain(id);
      expect(body).not.toContain(secret);
      expect(body).not.toContain("secret");
    }
    const [row] = await t.ctx.db
      .select()
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, id));
    expect(row!.encryptedSecret).not.toContain(secret.slice(6));
    expect(await decryptSecret(t.ctx, row!.encryptedSecret)).toBe(secret);
    // Each subscription has its own secret.
    const other = await (await create(PUBLIC_URL)).json();
    expect(other.secret).not.toBe(secret);
  });

  it("a tampered stored secret does not decrypt (authenticated encryption)", async () => {
    const stored = await encryptSecret(t.ctx, newSigningSecret());
    const parts = stored.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString("base64url");
    await expect(decryptSecret(t.ctx, parts.join("."))).rejects.toThrow();
  });
});

describe("who may manage webhooks", () => {
  it("subscriptions and deliveries need the admin scope", async () => {
    const writer = await t.key("surveys:write", "responses:read");
    expect((await create(PUBLIC_URL, writer)).status).toBe(403);
    expect((await t.request("/v1/webhooks/subscriptions", { key: writer })).status).toBe(403);
    expect((await t.request("/v1/webhooks/deliveries", { key: writer })).status).toBe(403);
    expect((await t.request("/v1/webhooks/deliveries")).status).toBe(401);
  });

  it("an unknown event type or format is a 400 naming the field", async () => {
    const response = await t.request("/v1/webhooks/subscriptions", {
      key: admin,
      json: { url: PUBLIC_URL, eventTypes: ["ticket.closed"], format: "discord" },
    });
    expect(response.status).toBe(400);
    const paths = (await problemOf(response)).errors?.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["eventTypes.0", "format"]));
  });

  it("replaying an unknown delivery is a 404", async () => {
    const response = await t.request(
      "/v1/webhooks/deliveries/00000000-0000-4000-8000-000000000000/replay",
      { key: admin, method: "POST" },
    );
    expect(response.status).toBe(404);
  });
});

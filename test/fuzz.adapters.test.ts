import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { like } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts } from "../src/db/schema/index.ts";
import { signDelivery } from "../src/delivery/webhook-signature.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createContact, createInvitation } from "./support/factories.ts";
import {
  AUTOTASK_CREDENTIALS,
  autotaskSignature,
  type FakeAutotask,
  startFakeAutotask,
} from "./support/fake-autotask.ts";
import {
  bogusAuthorization,
  contentTypes,
  expectApiAnswer,
  expectUnchanged,
  type FuzzRequest,
  fuzzParams,
  hostileBody,
  mutated,
  send,
  signatureValue,
  tableCounts,
  watchUnhandledRejections,
} from "./support/fuzz.ts";
import { connectwiseSignature, type KeyServer, startKeyServer } from "./support/key-server.ts";

/**
 * Every PSA adapter and the Resend webhook. Authenticated deliveries carry broken payloads: they
 * must be ingested, ignored, or refused with at most one dead letter. Unauthenticated deliveries
 * must be refused and write nothing at all.
 */

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../shared/fixtures/${name}`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
const SIGNING_KEY = "cw-fuzz-signing-key";
const AUTOTASK_SECRET = "autotask-fuzz-secret";
const HALO_BEARER = "Bearer halo-fuzz-token";
const RESEND_SECRET = `whsec_${randomBytes(24).toString("base64")}`;

let t: TestApp;
let keys: KeyServer;
let autotask: FakeAutotask;
const urls: Record<string, string> = {};
const rejections = watchUnhandledRejections();

const halopsaSample = {
  id: "wh-1",
  event: "Ticket Action Added",
  ticket: {
    id: 7001,
    summary: "Printer offline",
    client_id: 41,
    client_name: "Bayside Dental",
    user_id: 901,
    user_name: "Mo Ahmed",
    user_emailaddress: "mo.ahmed@bayside.example",
    team: "1st Line Support",
    agent_id: 7,
    agent_name: "Kim Lee",
    status_id: 9,
    dateoccurred: "2026-11-18T09:00:00Z",
    datecleared: "2026-11-18T16:00:00Z",
  },
  action: { id: 5001, ticket_id: 7001, outcome: "Closed", who: "Ravi Patel", who_agentid: 12 },
};

/** The ConnectWise callback with its `Entity` as an object, so mutations reach the ticket. */
function connectwiseSample() {
  const callback = fixture("psa/connectwise-ticket-closed.json");
  return {
    ...callback,
    Entity: JSON.parse(callback.Entity as string),
    Metadata: { key_url: keys.keyUrl() },
  };
}

beforeAll(async () => {
  keys = await startKeyServer(SIGNING_KEY);
  autotask = await startFakeAutotask();
  t = await createTestApp({
    CONNECTWISE_KEY_ORIGINS: keys.origin,
    RESEND_WEBHOOK_SECRET: RESEND_SECRET,
    // The fake Autotask zone is on loopback.
    OUTBOUND_ALLOW_PRIVATE: "true",
  });
  const admin = await t.key("admin");
  const integration = async (json: Record<string, unknown>) => {
    const response = await t.request("/v1/integrations", { key: admin, json });
    expect(response.status).toBe(201);
    return (await response.json()).id as string;
  };
  const connectwise = await integration({
    vendor: "connectwise",
    name: "ConnectWise",
    boardTeams: { "Help Desk": "help-desk" },
  });
  const autotaskId = await integration({
    vendor: "autotask",
    name: "Autotask",
    baseUrl: autotask.baseUrl,
    boardTeams: { "8": "help-desk" },
    secrets: { webhookSecret: AUTOTASK_SECRET, ...AUTOTASK_CREDENTIALS },
  });
  const halopsa = await integration({
    vendor: "halopsa",
    name: "Halo",
    boardTeams: { "1st Line Support": "help-desk" },
    secrets: { bearerToken: HALO_BEARER.slice("Bearer ".length) },
  });
  urls.connectwise = `/v1/webhooks/connectwise?integration=${connectwise}`;
  urls.autotask = `/v1/webhooks/autotask/${autotaskId}`;
  urls.halopsa = `/v1/webhooks/halopsa?integration=${halopsa}`;
  urls.resend = "/v1/webhooks/resend";
  // The email the Resend fixture is about, so mutated events reach the bounce handling instead
  // of stopping at an unknown email id.
  const bounced = fixture("resend/email-bounced.json") as {
    data: { email_id: string; to: string[] };
  };
  const contact = await createContact(t.ctx.db, { email: bounced.data.to[0]! });
  await createInvitation(t.ctx.db, await appSecret(t.ctx), {
    contactId: contact.id,
    clientId: contact.clientId,
    providerMessageId: bounced.data.email_id,
  });
});
afterAll(async () => {
  rejections.stop();
  await t.close();
  await keys.close();
  await autotask.close();
});

/** A delivery as its vendor signs it, carrying `payload`. */
function signed(vendor: string, payload: unknown): FuzzRequest {
  const body =
    vendor === "connectwise" && isObject(payload) && isObject(payload.Entity)
      ? JSON.stringify({ ...payload, Entity: JSON.stringify(payload.Entity) })
      : (JSON.stringify(payload) ?? "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (vendor === "connectwise")
    headers["x-content-signature"] = connectwiseSignature(SIGNING_KEY, body);
  if (vendor === "autotask") headers["x-hook-signature"] = autotaskSignature(AUTOTASK_SECRET, body);
  if (vendor === "halopsa") headers.authorization = HALO_BEARER;
  if (vendor === "resend") {
    const timestamp = String(Math.floor(t.clock.now().getTime() / 1000));
    headers["svix-id"] = `msg_${randomBytes(6).toString("hex")}`;
    headers["svix-timestamp"] = timestamp;
    headers["svix-signature"] = signDelivery(RESEND_SECRET, headers["svix-id"], timestamp, body);
  }
  return { method: "POST", path: urls[vendor]!, headers, body };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function checkSigned(request: FuzzRequest) {
  const before = await tableCounts(t.ctx.db);
  const response = await send(t.app, request);
  const deadLetter = response.headers.get("x-dead-letter-id");
  const rejected = response.status >= 400;
  await expectApiAnswer(response, request);
  if (rejected) {
    // The one legitimate write of a refused delivery: the dead letter it names.
    expectUnchanged(before, await tableCounts(t.ctx.db), request, {
      dead_letters: deadLetter ? 1 : 0,
    });
  }
}

describe("PSA adapters and the Resend webhook under bad input", () => {
  const samples: Record<string, () => unknown> = {
    connectwise: connectwiseSample,
    autotask: () => fixture("psa/autotask-ticket-completed.json"),
    halopsa: () => halopsaSample,
    resend: () => fixture("resend/email-bounced.json"),
  };

  for (const vendor of ["connectwise", "autotask", "halopsa", "resend"]) {
    it(`${vendor}: an authenticated broken payload is ingested, ignored or refused with at most a dead letter`, async () => {
      const payloads = fc.oneof(
        { weight: 5, arbitrary: mutated(samples[vendor]!()) },
        { weight: 1, arbitrary: fc.jsonValue() },
      );
      await fc.assert(
        fc.asyncProperty(payloads, (payload) => checkSigned(signed(vendor, payload))),
        fuzzParams(`signed/${vendor}`, 20),
      );
    });
  }

  it("a HaloPSA name with an unpaired surrogate is ingested, the character replaced", async () => {
    const payload = {
      ...halopsaSample,
      ticket: { ...halopsaSample.ticket, id: 7002, user_name: "\ud800Mo" },
    };
    const response = await send(t.app, signed("halopsa", payload));
    expect(response.status).toBe(202);
    const rows = await t.ctx.db
      .select({ name: contacts.name })
      .from(contacts)
      .where(like(contacts.name, "%Mo"));
    expect(rows.map((row) => row.name)).toEqual(["\ufffdMo"]);
  });

  it("a HaloPSA contact name with a NUL character is ingested, the character dropped", async () => {
    const payload = {
      ...halopsaSample,
      ticket: { ...halopsaSample.ticket, id: 7003, user_name: "Ja\u0000ne" },
    };
    const response = await send(t.app, signed("halopsa", payload));
    expect(response.status).toBe(202);
    const rows = await t.ctx.db
      .select({ name: contacts.name })
      .from(contacts)
      .where(like(contacts.name, "Ja%ne"));
    expect(rows.map((row) => row.name)).toEqual(["Jane"]);
  });

  it.each([
    [
      "an id that is not a number (never sent to Autotask)",
      "AssignedResourceID",
      "\u{1F642}".repeat(50),
    ],
    ["a date in the year 0 (not a database error)", "CompletedDate", "0000-01-01T00:00:00Z"],
  ])("Autotask: %s is refused with a dead letter naming the field", async (_, field, value) => {
    const payload = fixture("psa/autotask-ticket-completed.json");
    const fields = payload.Fields as Record<string, unknown>;
    const request = signed("autotask", { ...payload, Fields: { ...fields, [field]: value } });
    const before = await tableCounts(t.ctx.db);
    const response = await send(t.app, request);
    expect(response.status).toBe(400);
    expect((await response.json()).errors?.[0]?.path).toBe(`Fields.${field}`);
    expectUnchanged(before, await tableCounts(t.ctx.db), request, { dead_letters: 1 });
  });

  it("an unauthenticated delivery to any adapter is refused and writes nothing", async () => {
    const cases = fc.record({
      vendor: fc.constantFrom("connectwise", "autotask", "halopsa", "resend"),
      body: hostileBody(halopsaSample),
      contentType: contentTypes,
      authorization: bogusAuthorization,
      signature: signatureValue,
      timestamp: fc.oneof(fc.constant(undefined), fc.integer().map(String), fc.string()),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const request: FuzzRequest = {
          method: "POST",
          path: urls[c.vendor]!,
          body: c.body,
          headers: {
            "content-type": c.contentType,
            authorization: c.authorization,
            "x-content-signature": c.signature,
            "x-hook-signature": c.signature,
            "svix-id": "msg_fuzz",
            "svix-timestamp": c.timestamp,
            "svix-signature": c.signature,
          },
        };
        const before = await tableCounts(t.ctx.db);
        const response = await send(t.app, request);
        expect(response.status, `${c.vendor} accepted a forged delivery`).toBeGreaterThanOrEqual(
          400,
        );
        await expectApiAnswer(response, request);
        expectUnchanged(before, await tableCounts(t.ctx.db), request);
      }),
      fuzzParams("unauthenticated/adapters", 40),
    );
  });

  it("no fuzzed delivery left an unhandled rejection behind", () => {
    expect(rejections.reasons).toEqual([]);
  });
});

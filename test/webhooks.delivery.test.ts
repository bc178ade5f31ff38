import { createHmac, timingSafeEqual } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onResponseChange } from "../src/followups/notify.ts";
import { followupOverdueJob } from "../src/followups/overdue-job.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { webhookDeliveryJob } from "../src/webhooks/delivery-job.ts";
import { enqueueWebhookEvent } from "../src/webhooks/outbox.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import {
  changeResponse,
  createInvitation,
  createResponse,
  createSurvey,
  createSurveyedWork,
  recordAnswer,
} from "./support/factories.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let t: TestApp;
let admin: string;
let receiver: WebhookReceiver;
beforeAll(async () => {
  // The receiver listens on loopback: private destinations are allowed explicitly here.
  t = await createTestApp({ OUTBOUND_ALLOW_PRIVATE: "true" });
  admin = await t.key("admin");
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const HOUR = 3_600_000;

/**
 * Standard Webhooks verification written from the specification, independent of the sender's
 * code: HMAC-SHA256 keyed by the base64-decoded secret over "{id}.{timestamp}.{body}".
 */
function verifySignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  nowSeconds: number,
): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signatures !== "string") {
    return false;
  }
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",");
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function subscribe(body: Record<string, unknown>) {
  const response = await t.request("/v1/webhooks/subscriptions", {
    key: admin,
    json: { url: receiver.url, eventTypes: ["response.recorded", "followup.opened"], ...body },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; secret: string };
}

async function unsubscribe(id: string) {
  const response = await t.request(`/v1/webhooks/subscriptions/${id}`, {
    key: admin,
    method: "PATCH",
    json: { active: false },
  });
  expect(response.status).toBe(200);
}

async function unhappyAnswer(comment = "Nobody called me back") {
  return (await recordAnswer(t.ctx, { score: 1, comment })).response;
}

/** Runs the delivery job until nothing is due at the current test time. */
async function drain() {
  while ((await webhookDeliveryJob.runOnce(t.ctx)) > 0) {}
}

async function deliveriesOf(subscription: string) {
  const response = await t.request(`/v1/webhooks/deliveries?subscription=${subscription}`, {
    key: admin,
  });
  expect(response.status).toBe(200);
  return (await response.json()).data as Array<Record<string, unknown> & { id: string }>;
}

async function deliveryDetail(id: string) {
  return (await (await t.request(`/v1/webhooks/deliveries/${id}`, { key: admin })).json()) as {
    status: string;
    series: number;
    attempts: number;
    attemptLog: Array<{ series: number; number: number; at: string; statusCode: number | null }>;
  };
}

describe("signed deliveries with retries", () => {
  it("an event is retried after a failure and arrives signed per Standard Webhooks", async () => {
    const { id, secret } = await subscribe({});
    receiver.received.length = 0;
    receiver.answer(500, 200);
    const response = await unhappyAnswer();

    const queued = await deliveriesOf(id);
    expect(queued.map((row) => row.eventType).sort()).toEqual([
      "followup.opened",
      "response.recorded",
    ]);
    expect(queued.every((row) => row.status === "pending")).toBe(true);

    await drain();
    expect(receiver.received).toHaveLength(2); // one failed, one delivered
    const failed = queued.find((row) => row.eventType === "response.recorded")!;
    const afterFirst = await Promise.all(queued.map((row) => deliveryDetail(row.id)));
    expect(afterFirst.map((row) => row.status).sort()).toEqual(["pending", "succeeded"]);

    // Not due again until its backoff has passed.
    expect(await webhookDeliveryJob.runOnce(t.ctx)).toBe(0);
    t.clock.advance(60_000);
    await drain();
    expect(receiver.received).toHaveLength(3);
    for (const row of queued) expect((await deliveryDetail(row.id)).status).toBe("succeeded");

    for (const request of receiver.received) {
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["webhook-id"]).toMatch(/^msg_/);
      expect(
        verifySignature(
          secret,
          request.headers,
          request.body,
          Math.floor(t.clock.now().getTime() / 1000),
        ),
      ).toBe(true);
      expect(
        verifySignature(
          secret,
          request.headers,
          `${request.body} `,
          Math.floor(t.clock.now().getTime() / 1000),
        ),
      ).toBe(false);
    }
    const recorded = receiver.received.filter(
      (request) => JSON.parse(request.body).type === "response.recorded",
    );
    expect(recorded).toHaveLength(2);
    // A retry is the same message: same webhook-id, same body.
    expect(recorded[0]!.headers["webhook-id"]).toBe(recorded[1]!.headers["webhook-id"]);
    expect(recorded[0]!.body).toBe(recorded[1]!.body);
    expect(JSON.parse(recorded[1]!.body)).toMatchObject({
      type: "response.recorded",
      data: { response: { id: response.id, score: 1, comment: "Nobody called me back" } },
    });

    const detail = await deliveryDetail(failed.id);
    expect(detail.attemptLog.map((attempt) => attempt.statusCode)).toEqual([500, 200]);
    await unsubscribe(id);
  });

  it("a receiver that keeps failing is retried for 24 hours, then the delivery is failed", async () => {
    const { id } = await subscribe({ eventTypes: ["followup.opened"] });
    receiver.answer(503);
    await unhappyAnswer();
    const [delivery] = await deliveriesOf(id);
    const started = t.clock.now().getTime();
    for (let step = 0; step < 80; step++) {
      await drain();
      const current = (await (
        await t.request(`/v1/webhooks/deliveries/${delivery!.id}`, { key: admin })
      ).json()) as { status: string; nextAttemptAt: string | null };
      if (current.status !== "pending") break;
      // Jump straight to the scheduled retry, so the attempt times show the backoff itself.
      t.clock.set(current.nextAttemptAt!);
    }
    const detail = await deliveryDetail(delivery!.id);
    expect(detail.status).toBe("failed");
    const times = detail.attemptLog.map((attempt) => new Date(attempt.at).getTime());
    expect(times[0]).toBe(started);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(24 * HOUR);
    // It did not give up early: the attempt before the last one was inside the 24 hours.
    expect(times.at(-2)! - times[0]!).toBeLessThan(24 * HOUR);
    // Backoff grows: the second gap is longer than the first.
    expect(times[2]! - times[1]!).toBeGreaterThan(times[1]! - times[0]!);

    // Replay: a new series, delivered once the receiver is back.
    receiver.answer(200);
    const replayed = await t.request(`/v1/webhooks/deliveries/${delivery!.id}/replay`, {
      key: admin,
      method: "POST",
    });
    expect(replayed.status).toBe(202);
    expect(await replayed.json()).toMatchObject({ status: "pending", series: 2, attempts: 0 });
    const again = await t.request(`/v1/webhooks/deliveries/${delivery!.id}/replay`, {
      key: admin,
      method: "POST",
    });
    expect(again.status).toBe(409);
    expect((await problemOf(again)).detail).toContain("pending");
    await drain();
    const after = await deliveryDetail(delivery!.id);
    expect(after.status).toBe("succeeded");
    expect(after.attemptLog.filter((attempt) => attempt.series === 2)).toEqual([
      expect.objectContaining({ number: 1, statusCode: 200 }),
    ]);
    expect(after.attemptLog.filter((attempt) => attempt.series === 1).length).toBe(times.length);
    await unsubscribe(id);
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("an answer whose body holds a NUL is recorded, and the event is not sent again", async () => {
    const { id } = await subscribe({ eventTypes: ["followup.opened"] });
    receiver.received.length = 0;
    receiver.answer(200);
    receiver.replyWith("ok\u0000");
    try {
      await unhappyAnswer();
      await drain();
      t.clock.advance(10 * 60_000);
      await drain();
      expect(receiver.received).toHaveLength(1);
      const [delivery] = await deliveriesOf(id);
      const detail = await deliveryDetail(delivery!.id);
      expect(detail.status).toBe("succeeded");
      expect(detail.attemptLog.map((attempt) => attempt.statusCode)).toEqual([200]);
    } finally {
      receiver.replyWith(undefined);
      await unsubscribe(id);
    }
  });

  it("an inactive subscription receives nothing", async () => {
    const { id } = await subscribe({ active: false });
    await unhappyAnswer();
    expect(await deliveriesOf(id)).toEqual([]);
  });
});

describe("the deliveries list", () => {
  it("pages through every delivery of one event sent to several subscriptions", async () => {
    const subscriptions: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await t.request("/v1/webhooks/subscriptions", {
        key: admin,
        json: { url: `${receiver.url}/paged-${i}`, eventTypes: ["response.recorded"] },
      });
      expect(created.status).toBe(201);
      subscriptions.push(((await created.json()) as { id: string }).id);
    }
    // One event, one statement: a delivery per subscription, all made at the same instant.
    const queued = await t.ctx.db.transaction((tx) =>
      enqueueWebhookEvent({
        ctx: { ...t.ctx, db: tx },
        input: { type: "response.recorded", data: { paged: true } },
      }),
    );
    expect(queued).toBeGreaterThanOrEqual(3);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
      const response = await t.request(`/v1/webhooks/deliveries${query}`, { key: admin });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        data: { id: string; subscriptionId: string }[];
        nextCursor: string | null;
      };
      seen.push(
        ...body.data.filter((d) => subscriptions.includes(d.subscriptionId)).map((d) => d.id),
      );
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(3);
    for (const id of subscriptions) {
      const paused = await t.request(`/v1/webhooks/subscriptions/${id}`, {
        method: "PATCH",
        key: admin,
        json: { active: false },
      });
      expect(paused.status).toBe(200);
    }
  });
});

describe("events follow the changes that cause them", () => {
  it("changed, resolved and overdue events are queued once each, with what happened", async () => {
    const { id } = await subscribe({
      eventTypes: ["response.changed", "followup.opened", "followup.resolved", "followup.overdue"],
    });
    t.clock.set("2026-11-20T15:00:00Z");
    const response = await unhappyAnswer();
    await changeResponse(t.ctx, response.id, { score: 3 });
    await changeResponse(t.ctx, response.id, { score: 1 });
    t.clock.set("2026-11-23T12:00:00Z"); // Monday, past the 4 business hours of the new case
    await followupOverdueJob.runOnce(t.ctx);
    await followupOverdueJob.runOnce(t.ctx);

    // Cases of earlier tests may fall overdue too: look at this response's events only.
    const queued = (await deliveriesOf(id)).filter(
      (row) =>
        (row.payload as { data: { response: { id: string } } }).data.response.id === response.id,
    );
    const types = queued.map((row) => row.eventType).sort();
    expect(types).toEqual([
      "followup.opened",
      "followup.opened",
      "followup.overdue",
      "followup.resolved",
      "response.changed",
      "response.changed",
    ]);
    const resolved = queued.find((row) => row.eventType === "followup.resolved")!;
    expect(resolved.payload).toMatchObject({
      type: "followup.resolved",
      data: { followup: { state: "resolved" }, response: { id: response.id, score: 3 } },
    });
    expect(
      (resolved.payload as { data: { followup: { note: string } } }).data.followup.note,
    ).toContain("no longer negative");
    const changed = queued.filter((row) => row.eventType === "response.changed");
    expect(
      changed
        .map(
          (row) => (row.payload as { data: { previous: { score: number } } }).data.previous.score,
        )
        .sort(),
    ).toEqual([1, 3]);
    await unsubscribe(id);
    await drain();
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("an answer that stops counting (a burst from the same sender) sends response.changed", async () => {
    const { id } = await subscribe({ eventTypes: ["response.recorded", "response.changed"] });
    const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
    const { token } = await createInvitation(t.ctx.db, await appSecret(t.ctx), {
      surveyId: survey.id,
    });
    const person = {
      "user-agent":
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
      "accept-language": "en-GB,en;q=0.9",
    };
    t.clock.set("2026-11-18T17:05:00Z");
    expect((await t.request(`/r/${token}/3`, { headers: person })).status).toBe(200);
    t.clock.advance(1000);
    // Another score from the same sender a second later: a scanner after all.
    expect((await t.request(`/r/${token}/1`, { headers: person })).status).toBe(200);

    const events = (await deliveriesOf(id))
      .map((row) => row.payload as { type: string; data: Record<string, unknown> })
      .reverse();
    expect(events.map((event) => event.type)).toEqual(["response.recorded", "response.changed"]);
    expect(events[1]!.data).toMatchObject({
      response: { state: "quarantined" },
      previous: { state: "recorded", score: 3, comment: null },
    });
    await unsubscribe(id);
    await drain();
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("a change rolled back queues nothing", async () => {
    const { id } = await subscribe({});
    const work = await createSurveyedWork(t.ctx.db, "csat3");
    await expect(
      t.ctx.db.transaction(async (tx) => {
        const current = await createResponse(tx, {
          surveyId: work.survey.id,
          clientId: work.client.id,
          workItemId: work.workItem.id,
          scale: "csat3",
          score: 1,
        });
        await onResponseChange({
          ctx: { ...t.ctx, db: tx },
          input: { previous: undefined, current },
        });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await deliveriesOf(id)).toEqual([]);
    await unsubscribe(id);
  });
});

import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workItems } from "../src/db/schema/index.ts";
import { webhookDeliveryJob } from "../src/webhooks/delivery-job.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createSurveyedWork, recordResponseChange } from "./support/factories.ts";
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

async function subscribe(body: Record<string, unknown>) {
  const response = await t.request("/v1/webhooks/subscriptions", {
    key: admin,
    json: { url: receiver.url, ...body },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
}

async function unsubscribe(id: string) {
  await t.request(`/v1/webhooks/subscriptions/${id}`, {
    key: admin,
    method: "PATCH",
    json: { active: false },
  });
}

async function unhappyAnswer(comment: string) {
  const work = await createSurveyedWork(t.ctx.db, "csat3");
  return recordResponseChange(t.ctx, {
    surveyId: work.survey.id,
    clientId: work.client.id,
    workItemId: work.workItem.id,
    scale: "csat3",
    score: 1,
    comment,
  });
}

async function drain() {
  while ((await webhookDeliveryJob.runOnce(t.ctx)) > 0) {}
}

describe("chat formats", () => {
  it("Slack gets a readable message with the score, the comment and a link", async () => {
    const { id } = await subscribe({ format: "slack", eventTypes: ["followup.opened"] });
    receiver.received.length = 0;
    receiver.answer(200);
    await unhappyAnswer("Took <three> days & no update");
    await drain();
    expect(receiver.received).toHaveLength(1);
    const message = JSON.parse(receiver.received[0]!.body);
    expect(message.text).toContain("Follow-up opened");
    const text: string = message.blocks[0].text.text;
    expect(message.blocks[0].text.type).toBe("mrkdwn");
    expect(text).toContain("Score: *1 on CSAT (1-3)*");
    expect(text).toContain("Took &lt;three&gt; days &amp; no update");
    expect(text).toMatch(
      /<http:\/\/rapport\.test\/dashboard\/followups\/[0-9a-f-]{36}\|Open in rapport>/,
    );
    await unsubscribe(id);
  });

  it("a chat message names the work item by the number people know in the PSA", async () => {
    const { id } = await subscribe({ format: "slack", eventTypes: ["response.recorded"] });
    receiver.received.length = 0;
    receiver.answer(200);
    const work = await createSurveyedWork(t.ctx.db, "csat3");
    await t.ctx.db
      .update(workItems)
      .set({ reference: "T20261118.0042", summary: "Printer offline" })
      .where(eq(workItems.id, work.workItem.id));
    await recordResponseChange(t.ctx, {
      surveyId: work.survey.id,
      clientId: work.client.id,
      workItemId: work.workItem.id,
      scale: "csat3",
      score: 3,
    });
    await drain();
    expect(receiver.received).toHaveLength(1);
    const text: string = JSON.parse(receiver.received[0]!.body).blocks[0].text.text;
    expect(text).toContain("Work item: #T20261118.0042 Printer offline");
    await unsubscribe(id);
  });

  it("Microsoft Teams gets an Adaptive Card with the score, the comment and a link", async () => {
    const { id } = await subscribe({ format: "teams", eventTypes: ["response.recorded"] });
    receiver.received.length = 0;
    receiver.answer(200);
    const response = await unhappyAnswer("Fixed but slow");
    await drain();
    expect(receiver.received).toHaveLength(1);
    const message = JSON.parse(receiver.received[0]!.body);
    expect(message.type).toBe("message");
    const attachment = message.attachments[0];
    expect(attachment.contentType).toBe("application/vnd.microsoft.card.adaptive");
    const card = attachment.content;
    expect(card.type).toBe("AdaptiveCard");
    expect(JSON.stringify(card.body)).toContain("1 on CSAT (1-3)");
    expect(JSON.stringify(card.body)).toContain("Fixed but slow");
    expect(card.actions[0]).toEqual({
      type: "Action.OpenUrl",
      title: "Open in rapport",
      url: `http://rapport.test/dashboard/responses/${response.id}`,
    });
    await unsubscribe(id);
  });
});

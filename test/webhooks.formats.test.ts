import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clients, workItems } from "../src/db/schema/index.ts";
import { webhookDeliveryJob } from "../src/webhooks/delivery-job.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { changeResponse, createSurveyedWork, recordResponseChange } from "./support/factories.ts";
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

async function unhappyAnswer(comment: string, names: { client?: string; summary?: string } = {}) {
  const work = await createSurveyedWork(t.ctx.db, "csat3");
  if (names.client) {
    await t.ctx.db
      .update(clients)
      .set({ name: names.client })
      .where(eq(clients.id, work.client.id));
  }
  if (names.summary) {
    await t.ctx.db
      .update(workItems)
      .set({ summary: names.summary })
      .where(eq(workItems.id, work.workItem.id));
  }
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
    const texts = (message.blocks as { text?: { type: string; text: string } }[]).map(
      (block) => block.text,
    );
    expect(texts[0]).toEqual({
      type: "mrkdwn",
      text: expect.stringContaining("Score: *1 on CSAT (1-3)*"),
    });
    // The comment is plain text: Slack shows it as typed, with nothing to escape.
    expect(texts).toContainEqual({
      type: "plain_text",
      text: "Took <three> days & no update",
      emoji: false,
    });
    expect(texts.at(-1)?.text).toMatch(
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
    // What people typed goes in plain text fields (see the Slack format).
    const fields = JSON.parse(receiver.received[0]!.body).blocks.flatMap(
      (block: { fields?: Array<{ text: string }> }) => block.fields ?? [],
    );
    expect(fields.map((field: { text: string }) => field.text)).toContain(
      "Work item: #T20261118.0042 Printer offline",
    );
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

/** What a client, a PSA or a technician wrote, each trying to make a link or formatting. */
const CRAFTED = {
  comment:
    "Please [reset your rapport password](https://evil.example/login) now\n- **urgent** _really_ `code` ~gone~ <https://evil.example>\n1. first",
  client: "Contoso [Billing](https://evil.example/pay) *Ltd* <https://evil.example/pay|pay>",
  summary: "Printer ![x](https://evil.example/x.png) <!channel> <https://evil.example|click>",
};

describe("the link in every event opens a page", () => {
  it("the url of response.recorded and the chat button open the response's dashboard page", async () => {
    const standard = await subscribe({ eventTypes: ["response.recorded"] });
    const teams = await subscribe({ format: "teams", eventTypes: ["response.recorded"] });
    receiver.received.length = 0;
    receiver.answer(200);
    const response = await unhappyAnswer("Fixed, eventually");
    await drain();
    const links = receiver.received.map((request) => {
      const body = JSON.parse(request.body);
      return new URL(body.data?.url ?? body.attachments[0].content.actions[0].url);
    });
    expect(links).toHaveLength(2);
    const signedIn = await t.request("/dashboard/sign-in", {
      method: "POST",
      body: new URLSearchParams({ key: await t.key("metrics:read", "responses:read") }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    for (const link of links) {
      expect(link.pathname).toBe(`/dashboard/responses/${response.id}`);
      const page = await t.request(link.pathname, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Fixed, eventually");
    }
    await unsubscribe(standard.id);
    await unsubscribe(teams.id);
  });
});

describe("chat formats say when an answer stops counting", () => {
  it("a recorded answer flagged later says so in Slack", async () => {
    const { id } = await subscribe({ format: "slack", eventTypes: ["response.changed"] });
    receiver.received.length = 0;
    receiver.answer(200);
    const response = await unhappyAnswer("Slow");
    await changeResponse(t.ctx, response.id, { state: "flagged" });
    await drain();
    expect(receiver.received).toHaveLength(1);
    const message = JSON.parse(receiver.received[0]!.body);
    expect(message.text).toContain("Survey response no longer counts (flagged)");
    await unsubscribe(id);
  });
});

describe("chat formats show what people wrote as text", () => {
  it("Microsoft Teams gets no link or formatting from a comment, a client name or a summary", async () => {
    const { id } = await subscribe({ format: "teams", eventTypes: ["followup.opened"] });
    receiver.received.length = 0;
    receiver.answer(200);
    await unhappyAnswer(CRAFTED.comment, CRAFTED);
    await drain();
    expect(receiver.received).toHaveLength(1);
    const card = JSON.parse(receiver.received[0]!.body).attachments[0].content;
    type Block = { type: string; text?: string; facts?: { title: string; value: string }[] };
    const texts = (card.body as Block[]).flatMap((block) =>
      block.type === "TextBlock"
        ? [block.text!]
        : (block.facts ?? []).flatMap((fact) => [fact.title, fact.value]),
    );
    const markdown = texts.join("\n");
    // Adaptive Card text renders Markdown: every character that starts a link, emphasis, code,
    // an autolink or a list item arrives escaped, so Teams shows it as typed.
    expect(markdown).not.toMatch(/(?<!\\)[[\]*_`~<>]/);
    expect(markdown).not.toMatch(/^\s*(?:[-+]|\d+\.)\s/m);
    expect(markdown).toContain(
      "Please \\[reset your rapport password\\](https://evil.example/login)",
    );
    expect(markdown).toContain("Contoso \\[Billing\\](https://evil.example/pay) \\*Ltd\\*");
    // The card's own link stays the one button.
    expect(card.actions).toHaveLength(1);
    await unsubscribe(id);
  });

  it("Slack gets no link, mention or formatting from a comment, a client name or a summary", async () => {
    const { id } = await subscribe({ format: "slack", eventTypes: ["followup.opened"] });
    receiver.received.length = 0;
    receiver.answer(200);
    await unhappyAnswer(CRAFTED.comment, CRAFTED);
    await drain();
    expect(receiver.received).toHaveLength(1);
    const message = JSON.parse(receiver.received[0]!.body);
    type Text = { type: string; text: string };
    type Block = { type: string; text?: Text; fields?: Text[] };
    const texts = (message.blocks as Block[]).flatMap((block) => [
      ...(block.text ? [block.text] : []),
      ...(block.fields ?? []),
    ]);
    // What people wrote travels only in plain_text, which Slack shows as typed.
    for (const written of [CRAFTED.comment, CRAFTED.client, CRAFTED.summary]) {
      const carriers = texts.filter((text) => text.text.includes(written));
      expect(carriers.length).toBeGreaterThan(0);
      expect(carriers.every((text) => text.type === "plain_text")).toBe(true);
    }
    // The mrkdwn text holds only rapport's own words and its one link.
    const mrkdwn = texts.filter((text) => text.type === "mrkdwn").map((text) => text.text);
    expect(mrkdwn.join("\n")).not.toContain("evil.example");
    expect(mrkdwn.join("\n").match(/<[^>]*>/g)).toHaveLength(1);
    // The notification text is mrkdwn too: the client's name arrives escaped there.
    expect(message.text).not.toMatch(/[<>]/);
    expect(message.text).toContain("&lt;https://evil.example/pay|pay&gt;");
    await unsubscribe(id);
  });
});

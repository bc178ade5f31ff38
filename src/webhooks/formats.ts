import type { WebhookFormat } from "../db/schema/index.ts";
import type { WebhookEvent } from "./outbox.ts";

/** What every rapport event carries, whatever its type; chat formats read only this. */
export interface EventSubject {
  response: { scale: string; score: number; comment: string | null };
  client: { name: string } | null;
  workItem: { externalId: string; reference?: string | null; summary: string } | null;
  url: string;
}

const headlines: Record<WebhookEvent["type"], string> = {
  "response.recorded": "New survey response",
  "response.changed": "Survey response changed",
  "followup.opened": "Follow-up opened: unhappy client",
  "followup.overdue": "Follow-up overdue",
  "followup.resolved": "Follow-up resolved",
};

const scaleNames: Record<string, string> = {
  csat3: "CSAT (1-3)",
  csat5: "CSAT (1-5)",
  nps: "NPS (0-10)",
};

function describe(event: WebhookEvent) {
  const subject = event.data as unknown as EventSubject;
  const score = `${subject.response.score} on ${scaleNames[subject.response.scale] ?? subject.response.scale}`;
  const work = subject.workItem
    ? // The number people know the item by; events queued before it was recorded lack it.
      `#${subject.workItem.reference ?? subject.workItem.externalId} ${subject.workItem.summary}`.trim()
    : undefined;
  return {
    headline: headlines[event.type],
    score,
    client: subject.client?.name,
    work,
    comment: subject.response.comment?.trim() || undefined,
    url: subject.url,
  };
}

/** Slack's mrkdwn reserves these three characters. */
function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function slackMessage(event: WebhookEvent) {
  const d = describe(event);
  const lines = [
    `*${slackEscape(d.headline)}*`,
    `Score: *${slackEscape(d.score)}*`,
    d.client ? `Client: ${slackEscape(d.client)}` : undefined,
    d.work ? `Work item: ${slackEscape(d.work)}` : undefined,
    d.comment ? `> ${slackEscape(d.comment).replaceAll("\n", "\n> ")}` : undefined,
    `<${d.url}|Open in rapport>`,
  ].filter(Boolean);
  return {
    text: `${d.headline}: ${d.score}${d.client ? ` (${d.client})` : ""}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: lines.join("\n") } }],
  };
}

function teamsMessage(event: WebhookEvent) {
  const d = describe(event);
  const facts = [
    { title: "Score", value: d.score },
    ...(d.client ? [{ title: "Client", value: d.client }] : []),
    ...(d.work ? [{ title: "Work item", value: d.work }] : []),
  ];
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: d.headline, weight: "Bolder", size: "Medium", wrap: true },
            { type: "FactSet", facts },
            ...(d.comment
              ? [{ type: "TextBlock", text: d.comment, wrap: true, isSubtle: true }]
              : []),
          ],
          actions: [{ type: "Action.OpenUrl", title: "Open in rapport", url: d.url }],
        },
      },
    ],
  };
}

/** The request body for a subscription's format. */
export function renderBody(format: WebhookFormat, event: WebhookEvent): string {
  if (format === "slack") return JSON.stringify(slackMessage(event));
  if (format === "teams") return JSON.stringify(teamsMessage(event));
  return JSON.stringify(event);
}

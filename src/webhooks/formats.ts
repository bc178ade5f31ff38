import type { WebhookFormat } from "../db/schema/index.ts";
import type { WebhookEvent } from "./outbox.ts";

/** What every rapport event carries, whatever its type; chat formats read only this. */
export interface EventSubject {
  response: { scale: string; score: number; comment: string | null; state: string };
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
  const withdrawn = event.type === "response.changed" && subject.response.state !== "recorded";
  return {
    headline: withdrawn
      ? `Survey response no longer counts (${subject.response.state})`
      : headlines[event.type],
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

/** Slack shows plain_text as typed: no links, mentions or formatting come out of it. */
const plainText = (text: string) => ({ type: "plain_text", text, emoji: false });

/**
 * Only rapport's own words and link go into mrkdwn; what clients, technicians and the PSA wrote
 * goes into plain_text, as mrkdwn has no escape for `*`, `_`, `~` or backticks.
 */
function slackMessage(event: WebhookEvent) {
  const d = describe(event);
  const facts = [
    d.client ? plainText(`Client: ${d.client}`) : undefined,
    d.work ? plainText(`Work item: ${d.work}`) : undefined,
  ].filter((fact) => fact !== undefined);
  const mrkdwn = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
  return {
    // Notifications read this as mrkdwn: the client's name is escaped, so it cannot link.
    text: slackEscape(`${d.headline}: ${d.score}${d.client ? ` (${d.client})` : ""}`),
    blocks: [
      mrkdwn(`*${slackEscape(d.headline)}*\nScore: *${slackEscape(d.score)}*`),
      ...(facts.length > 0 ? [{ type: "section", fields: facts }] : []),
      ...(d.comment ? [{ type: "section", text: plainText(d.comment) }] : []),
      mrkdwn(`<${d.url}|Open in rapport>`),
    ],
  };
}

/**
 * Adaptive Card text and fact values render Markdown. A backslash before every character that
 * opens a link, an autolink, emphasis or code, and before a list marker at the start of a line,
 * makes Teams show what people wrote as typed.
 */
function teamsEscape(text: string): string {
  return text
    .replace(/[\\`*_~[\]<>]/g, "\\$&")
    .replace(/^(\s*)([-+])(?=\s)/gm, "$1\\$2")
    .replace(/^(\s*\d+)([.)])(?=\s)/gm, "$1\\$2");
}

function teamsMessage(event: WebhookEvent) {
  const d = describe(event);
  const facts = [
    { title: "Score", value: d.score },
    ...(d.client ? [{ title: "Client", value: teamsEscape(d.client) }] : []),
    ...(d.work ? [{ title: "Work item", value: teamsEscape(d.work) }] : []),
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
              ? [{ type: "TextBlock", text: teamsEscape(d.comment), wrap: true, isSubtle: true }]
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

import type { FeedItem } from "./feed.ts";

export const FEED_CSV_COLUMNS = [
  "id",
  "survey",
  "scale",
  "score",
  "state",
  "comment",
  "contact_id",
  "client",
  "work_item",
  "work_item_kind",
  "board",
  "source",
  "responded_at",
  "created_at",
  "updated_at",
  "teams",
  "members",
  "attribution",
] as const;

/**
 * A cell: quoted when it holds a separator, quote or line break; text that a spreadsheet would
 * run as a formula (= + - @ at the start) gets a leading apostrophe.
 */
function cell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The feed's rows as CSV (RFC 4180, CRLF). Attribution is flattened into `teams` and `members`
 * (distinct keys joined by `;`) and `attribution` (`team/member=weight` joined by `;`).
 */
export function feedCsv(items: FeedItem[]): string {
  const lines = [FEED_CSV_COLUMNS.join(",")];
  for (const item of items) {
    const teams = [...new Set(item.attribution.map((a) => a.team))].join(";");
    const members = [...new Set(item.attribution.map((a) => a.member))].join(";");
    const attribution = item.attribution.map((a) => `${a.team}/${a.member}=${a.weight}`).join(";");
    lines.push(
      [
        item.id,
        item.survey,
        item.scale,
        item.score,
        item.state,
        item.comment,
        item.contactId,
        item.client.externalId,
        item.workItem?.externalId ?? null,
        item.workItem?.kind ?? null,
        item.workItem?.board ?? null,
        item.source,
        item.respondedAt,
        item.createdAt,
        item.updatedAt,
        teams,
        members,
        attribution,
      ]
        .map(cell)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

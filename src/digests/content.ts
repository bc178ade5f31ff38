import { oneLine } from "../emails/content.ts";
import type { Attainment } from "../goals/attainment.ts";
import type { Figure } from "../goals/figures.ts";

export interface DigestFigure {
  label: string;
  unit: string;
  current: Figure;
  previous: Figure;
}

export interface DigestFollowup {
  id: string;
  score: number;
  scale: string;
  comment: string | null;
  openedAt: Date;
  overdue: boolean;
  url: string;
}

export interface DigestComment {
  score: number;
  scale: string;
  comment: string;
  respondedAt: Date;
}

/** Everything one team's weekly digest says; the HTML and the text part render the same content. */
export interface DigestContent {
  team: { key: string; name: string };
  /** `2026-W48`: the week the digest is sent in; it covers the seven days before. */
  week: string;
  from: Date;
  to: Date;
  timeZone: string;
  figures: DigestFigure[];
  goals: Attainment[];
  followups: { open: number; overdue: number; oldest: DigestFollowup[] };
  comments: DigestComment[];
  dashboardUrl: string;
}

/** `+3.2`, `-1`, `±0`; null when either week has no figure. */
export function trendOf(figure: DigestFigure): number | null {
  if (figure.current.value === null || figure.previous.value === null) return null;
  return Math.round((figure.current.value - figure.previous.value) * 10) / 10;
}

export function formatTrend(trend: number | null): string {
  if (trend === null) return "no comparison";
  if (trend === 0) return "±0 vs the week before";
  return `${trend > 0 ? "+" : ""}${trend} vs the week before`;
}

export function formatValue(value: number | null, unit: string): string {
  return value === null ? "no responses" : `${Math.round(value * 10) / 10}${unit}`;
}

export function formatDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
  }).format(at);
}

export function digestSubject(content: DigestContent): string {
  const csat = content.figures[0];
  const headline = csat ? ` · ${csat.label} ${formatValue(csat.current.value, csat.unit)}` : "";
  // A team's name comes from PSA events too: a line break in it must not reach the header.
  return `${oneLine(content.team.name)} weekly digest ${content.week}${headline}`;
}

const STATUS_TEXT = { met: "met", not_met: "not met", not_enough_data: "not enough data" } as const;

export function goalLine(entry: Attainment): string {
  const metric = { csat: "CSAT", nps: "NPS", "response-rate": "Response rate" }[entry.metric];
  const unit = entry.metric === "nps" ? "" : "%";
  const who = entry.member ? ` (${entry.member.name})` : "";
  return `${metric}${who} ${entry.period}: ${formatValue(entry.value, unit)} of target ${entry.target}${unit}, n=${Math.round(entry.n * 10) / 10} — ${STATUS_TEXT[entry.status]}`;
}

/** The plain-text part, written from the same content as the HTML. */
export function renderDigestText(content: DigestContent): string {
  const lines = [
    `${content.team.name}: week of ${formatDay(content.from, content.timeZone)} to ${formatDay(new Date(content.to.getTime() - 1), content.timeZone)}`,
    "",
  ];
  for (const figure of content.figures) {
    lines.push(
      `${figure.label}: ${formatValue(figure.current.value, figure.unit)} (n=${Math.round(figure.current.n * 10) / 10}), ${formatTrend(trendOf(figure))}`,
    );
  }
  lines.push("", "Goals");
  if (content.goals.length === 0) lines.push("No goals set.");
  for (const entry of content.goals) lines.push(`- ${goalLine(entry)}`);
  lines.push(
    "",
    `Follow-ups: ${content.followups.open} open, ${content.followups.overdue} overdue`,
  );
  for (const followup of content.followups.oldest) {
    lines.push(
      `- ${followup.overdue ? "OVERDUE " : ""}score ${followup.score} (${followup.scale}): ${followup.comment ?? "no comment"} ${followup.url}`,
    );
  }
  lines.push("", "Best comments");
  if (content.comments.length === 0) lines.push("No comments this week.");
  for (const comment of content.comments) lines.push(`- "${comment.comment}" (${comment.score})`);
  lines.push("", `Dashboard: ${content.dashboardUrl}`, "");
  return lines.join("\n");
}

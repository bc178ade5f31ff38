/** @jsxImportSource react */
import { Link, Text } from "jsx-email";
import { createElement } from "react";
import {
  type DigestContent,
  digestSubject,
  formatDay,
  formatTrend,
  formatValue,
  goalLine,
  renderDigestText,
  trendOf,
} from "../digests/content.ts";
import type { Branding } from "./branding.ts";
import { AddressLines, EmailCard } from "./card.tsx";
import { renderHtml } from "./html.ts";
import { palette } from "./palette.ts";

const text = {
  color: palette.text,
  fontFamily: palette.font,
  fontSize: "15px",
  lineHeight: "22px",
  margin: "0 0 10px",
} as const;
const heading = { ...text, fontSize: "17px", fontWeight: 700, margin: "18px 0 8px" } as const;
const muted = { ...text, color: palette.muted, fontSize: "13px" } as const;

/** A team lead's weekly digest: figures with their trend, goals, follow-ups, best comments. */
export function DigestBody({ content, branding }: { content: DigestContent; branding: Branding }) {
  const lastDay = new Date(content.to.getTime() - 1);
  return (
    <EmailCard preheader={digestSubject(content)} accentColor={branding.accentColor} padding="24px">
      <Text className="rp-muted" style={muted}>
        {branding.companyName} · weekly digest {content.week}
      </Text>
      <Text className="rp-text" style={{ ...heading, fontSize: "20px", marginTop: 0 }}>
        {content.team.name}: {formatDay(content.from, content.timeZone)} –{" "}
        {formatDay(lastDay, content.timeZone)}
      </Text>
      {content.figures.map((figure) => (
        <Text key={figure.label} className="rp-text" style={text}>
          <strong>
            {figure.label}: {formatValue(figure.current.value, figure.unit)}
          </strong>{" "}
          (n={Math.round(figure.current.n * 10) / 10}) · {formatTrend(trendOf(figure))}
        </Text>
      ))}
      <Text className="rp-text" style={heading}>
        Goals
      </Text>
      {content.goals.length === 0 ? (
        <Text className="rp-muted" style={muted}>
          No goals set.
        </Text>
      ) : (
        content.goals.map((entry) => (
          <Text key={`${entry.goal.id}-${entry.period}`} className="rp-text" style={text}>
            {goalLine(entry)}
          </Text>
        ))
      )}
      <Text className="rp-text" style={heading}>
        Follow-ups: {content.followups.open} open, {content.followups.overdue} overdue
      </Text>
      {content.followups.oldest.map((followup) => (
        <Text key={followup.id} className="rp-text" style={text}>
          {followup.overdue ? <strong>Overdue · </strong> : null}
          score {followup.score} ({followup.scale}): {followup.comment ?? "no comment"}{" "}
          <Link href={followup.url} style={{ color: branding.accentColor }}>
            open
          </Link>
        </Text>
      ))}
      <Text className="rp-text" style={heading}>
        Best comments
      </Text>
      {content.comments.length === 0 ? (
        <Text className="rp-muted" style={muted}>
          No comments this week.
        </Text>
      ) : (
        content.comments.map((comment) => (
          <Text
            key={`${comment.respondedAt.toISOString()}-${comment.comment}`}
            className="rp-text"
            style={{
              ...text,
              borderLeft: `3px solid ${branding.accentColor}`,
              paddingLeft: "10px",
            }}
          >
            “{comment.comment}” ({comment.score})
          </Text>
        ))
      )}
      <Text className="rp-text" style={{ ...text, marginTop: "18px" }}>
        <Link href={content.dashboardUrl} style={{ color: branding.accentColor }}>
          Open the dashboard
        </Link>
      </Text>
      {branding.footerAddress ? (
        <Text className="rp-muted" style={muted}>
          <AddressLines address={branding.footerAddress} />
        </Text>
      ) : null}
    </EmailCard>
  );
}

/** Subject, HTML and text of a digest, in English (digests go to the MSP's own team leads). */
export async function renderDigestEmail(content: DigestContent, branding: Branding) {
  const subject = digestSubject(content);
  return {
    subject,
    html: await renderHtml("en", subject, createElement(DigestBody, { content, branding })),
    text: renderDigestText(content),
  };
}

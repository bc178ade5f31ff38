/** @jsxImportSource react */
import { Column, Link, Row, Text } from "jsx-email";
import type { EmailContent, ScoreLink } from "./content.ts";
import { palette } from "./palette.ts";

interface ScaleProps {
  content: EmailContent;
}

/**
 * The answer buttons. Each score is its own link filling a fixed-width table cell, so the row
 * never grows past the screen: eleven NPS cells still fit 320 px.
 */
export function ScoreButtons({ content }: ScaleProps) {
  return content.scale === "csat3" ? <Faces content={content} /> : <Numbers content={content} />;
}

function Faces({ content }: ScaleProps) {
  return (
    <Row style={{ tableLayout: "fixed", width: "100%" }}>
      {content.scores.map((score) => (
        <Column key={score.score} align="center" style={{ padding: "0 4px", width: "33%" }}>
          <ScoreLinkButton content={content} score={score} fontSize={32} padding="12px 0 10px">
            <span aria-hidden="true" style={{ display: "block", lineHeight: "40px" }}>
              {score.face}
            </span>
            <span
              style={{
                display: "block",
                fontSize: "13px",
                lineHeight: "18px",
                overflowWrap: "anywhere",
                padding: "0 2px",
              }}
            >
              {score.caption}
            </span>
          </ScoreLinkButton>
        </Column>
      ))}
    </Row>
  );
}

function Numbers({ content }: ScaleProps) {
  const nps = content.scale === "nps";
  const cellWidth = `${Math.floor(100 / content.scores.length)}%`;
  return (
    <>
      <Row style={{ tableLayout: "fixed", width: "100%" }}>
        {content.scores.map((score) => (
          <Column
            key={score.score}
            align="center"
            style={{ padding: nps ? "0 1px" : "0 3px", width: cellWidth }}
          >
            <ScoreLinkButton
              content={content}
              score={score}
              fontSize={nps ? 15 : 18}
              padding={nps ? "10px 0" : "12px 0"}
            >
              {score.face}
            </ScoreLinkButton>
          </Column>
        ))}
      </Row>
      {content.ends && (
        <Row style={{ tableLayout: "fixed", width: "100%" }}>
          <Column align="left" style={{ width: "50%", verticalAlign: "top" }}>
            <Text className="rp-muted" style={endStyle("left")}>
              {`${content.scores[0]!.score} = ${content.ends[0]}`}
            </Text>
          </Column>
          <Column align="right" style={{ width: "50%", verticalAlign: "top" }}>
            <Text className="rp-muted" style={endStyle("right")}>
              {`${content.scores.at(-1)!.score} = ${content.ends[1]}`}
            </Text>
          </Column>
        </Row>
      )}
    </>
  );
}

function ScoreLinkButton({
  content,
  score,
  fontSize,
  padding,
  children,
}: {
  content: EmailContent;
  score: ScoreLink;
  fontSize: number;
  padding: string;
  children: React.ReactNode;
}) {
  return (
    <Link
      href={score.href}
      aria-label={score.ariaLabel}
      title={score.ariaLabel}
      style={{
        backgroundColor: content.accentColor,
        border: `1px solid ${content.accentColor}`,
        borderRadius: "6px",
        color: content.onAccentColor,
        display: "block",
        fontFamily: palette.font,
        fontSize: `${fontSize}px`,
        fontWeight: 700,
        lineHeight: "22px",
        padding,
        textAlign: "center",
        textDecoration: "none",
      }}
    >
      {children}
    </Link>
  );
}

function endStyle(align: "left" | "right") {
  return {
    color: palette.muted,
    fontFamily: palette.font,
    fontSize: "12px",
    lineHeight: "16px",
    margin: "6px 0 0",
    textAlign: align,
  } as const;
}

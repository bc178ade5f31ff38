/** @jsxImportSource react */
import { Body, Column, Head, Html, Img, Link, Row, Text } from "jsx-email";
import { AddressLines, CentredTable, EmailCard } from "./card.tsx";
import type { EmailContent } from "./content.ts";
import { darkModeStyle, palette } from "./palette.ts";
import { ScoreButtons } from "./score-buttons.tsx";

const paragraph = {
  color: palette.text,
  fontFamily: palette.font,
  fontSize: "16px",
  lineHeight: "24px",
  margin: "0 0 16px",
} as const;

const small = {
  color: palette.muted,
  fontFamily: palette.font,
  fontSize: "12px",
  lineHeight: "18px",
  margin: "0 0 8px",
} as const;

/**
 * The document around every email: head, dark-mode styles, page background. It is the same for
 * every email of a language, so it goes through jsx-email's full render once (see `html.ts`).
 */
export function EmailShell({
  lang,
  title,
  children,
}: {
  lang: string;
  title: string;
  children?: React.ReactNode;
}) {
  return (
    <Html lang={lang}>
      <Head>
        <title>{title}</title>
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant stylesheet; as a child its `>` would be escaped */}
        <style dangerouslySetInnerHTML={{ __html: darkModeStyle }} />
      </Head>
      <Body className="rp-page" style={{ backgroundColor: palette.page, margin: 0, padding: 0 }}>
        {children}
      </Body>
    </Html>
  );
}

/**
 * The body of every survey email: csat3 faces, csat5, NPS, reminders and the post-project
 * variant differ only in their content. Table layout and inline styles for the clients people
 * use; no scripts. It must not use jsx-email's `Raw` or `Conditional`, which need the full render.
 */
export function SurveyBody({ content }: { content: EmailContent }) {
  return (
    <EmailCard
      preheader={content.preheader}
      accentColor={content.accentColor}
      padding="28px 24px"
      after={<Footer content={content} />}
    >
      <Header content={content} />
      <Text className="rp-text" style={paragraph}>
        {content.greeting}
      </Text>
      {content.reminderNote && (
        <Text className="rp-text" style={paragraph}>
          {content.reminderNote}
        </Text>
      )}
      <Text className="rp-text" style={paragraph}>
        {content.intro}
      </Text>
      <Text
        className="rp-text"
        style={{ ...paragraph, fontSize: "18px", fontWeight: 700, margin: "8px 0 4px" }}
      >
        {content.question}
      </Text>
      <Text className="rp-muted" style={{ ...small, fontSize: "14px", margin: "0 0 16px" }}>
        {content.instruction}
      </Text>
      <ScoreButtons content={content} />
      <Text className="rp-muted" style={{ ...small, margin: "20px 0 0" }}>
        {content.afterClick}
      </Text>
    </EmailCard>
  );
}

function Header({ content }: { content: EmailContent }) {
  return (
    <Row>
      <Column style={{ paddingBottom: "20px" }}>
        {content.logoUrl ? (
          <Img
            src={content.logoUrl}
            alt={content.companyName}
            // The alt text follows the text colour in dark mode too.
            className="rp-text"
            height={40}
            style={{
              border: 0,
              // Styles the alt text too, for clients that block images.
              color: palette.text,
              display: "block",
              fontFamily: palette.font,
              fontSize: "18px",
              fontWeight: 700,
              height: "40px",
              maxWidth: "200px",
              width: "auto",
            }}
          />
        ) : (
          <Text
            className="rp-text"
            style={{ ...paragraph, fontSize: "20px", fontWeight: 700, margin: 0 }}
          >
            {content.companyName}
          </Text>
        )}
      </Column>
    </Row>
  );
}

function Footer({ content }: { content: EmailContent }) {
  return (
    <CentredTable>
      <tbody>
        <tr>
          <td className="rp-muted" style={{ padding: "16px 8px 0", textAlign: "center" }}>
            <Text className="rp-muted" style={small}>
              {content.footerReason}
            </Text>
            {content.footerAddress && (
              <Text className="rp-muted" style={small}>
                <AddressLines address={content.footerAddress} />
              </Text>
            )}
            <Text className="rp-muted" style={small}>
              <Link
                href={content.unsubscribeUrl}
                style={{ color: palette.muted, textDecoration: "underline" }}
              >
                {content.unsubscribe}
              </Link>
            </Text>
          </td>
        </tr>
      </tbody>
    </CentredTable>
  );
}

/** @jsxImportSource react */
import { Preview, Section } from "jsx-email";
import { palette } from "./palette.ts";

/**
 * The frame of every email body: the preheader, the page background and one centred card at most
 * 600 px wide with an accent rule on top, then whatever follows the card (a footer). Table layout
 * and inline styles, for the mail clients people use.
 */
export function EmailCard({
  preheader,
  accentColor,
  padding,
  children,
  after,
}: {
  preheader: string;
  accentColor: string;
  padding: string;
  children?: React.ReactNode;
  after?: React.ReactNode;
}) {
  return (
    <>
      <Preview>{preheader}</Preview>
      <Section className="rp-page" style={{ backgroundColor: palette.page, padding: "16px 8px" }}>
        <CentredTable fixed>
          <tbody>
            <tr>
              <td
                className="rp-card rp-card-cell"
                style={{
                  backgroundColor: palette.card,
                  border: `1px solid ${palette.rule}`,
                  borderTop: `4px solid ${accentColor}`,
                  borderRadius: "8px",
                  padding,
                }}
              >
                {children}
              </td>
            </tr>
          </tbody>
        </CentredTable>
        {after}
      </Section>
    </>
  );
}

/** A layout table centred in the email, at most 600 px wide (the width mail clients expect). */
export function CentredTable({ fixed, children }: { fixed?: boolean; children?: React.ReactNode }) {
  return (
    <table
      role="presentation"
      align="center"
      width="100%"
      cellPadding={0}
      cellSpacing={0}
      border={0}
      style={{
        maxWidth: "600px",
        margin: "0 auto",
        ...(fixed ? { tableLayout: "fixed" as const } : {}),
        width: "100%",
      }}
    >
      {children}
    </table>
  );
}

/** The sender's postal address as written, one line per line (a footer's). */
export function AddressLines({ address }: { address: string }) {
  return (
    <>
      {address.split(/\r?\n/).map((line, index) => (
        // The address lines are static for one email: their index is their identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <span key={index}>
          {index > 0 && <br />}
          {line}
        </span>
      ))}
    </>
  );
}

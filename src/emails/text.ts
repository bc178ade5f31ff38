import type { EmailContent } from "./content.ts";

/**
 * The plain-text part, written from the same content as the HTML rather than converted from it:
 * every score keeps its own link on its own line, and no HTML parser runs per email.
 */
export function renderText(content: EmailContent): string {
  const lines: string[] = [content.greeting, ""];
  if (content.reminderNote) lines.push(content.reminderNote, "");
  lines.push(content.intro, "", content.question, content.instruction, "");
  for (const score of content.scores) {
    const label = content.scale === "csat3" ? `${score.face} ${score.caption}` : score.ariaLabel;
    lines.push(`${label}: ${score.href}`);
  }
  lines.push("", content.afterClick, "", "-- ", content.footerReason);
  if (content.footerAddress) lines.push(content.footerAddress);
  lines.push(`${content.unsubscribeText} ${content.unsubscribeUrl}`, "");
  return lines.join("\n");
}

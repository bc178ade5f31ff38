import type { CopyContext, Messages } from "../messages.ts";

const itemName = (item: NonNullable<CopyContext["item"]>) =>
  `${item.kind === "project" ? "Projekt" : "Ticket"} ${item.reference}`;

// A work item without a summary is named by its number alone, not followed by empty quotes.
const quoted = (summary: string) => (summary ? ` „${summary}“` : "");

export default {
  lang: "de",
  subject: ({ item, reminder, nps, companyName }) => {
    const question = item
      ? `Wie haben wir bei ${itemName(item)} abgeschnitten?`
      : nps
        ? `Würden Sie ${companyName} weiterempfehlen?`
        : "Wie zufrieden sind Sie mit uns?";
    return reminder ? `Erinnerung: ${question}` : question;
  },
  preheader: ({ item, technicians, technicianCount, companyName }) =>
    item
      ? `${technicians ?? "Unser Team"} ${technicianCount > 1 ? "haben" : "hat"} an ${itemName(item)} gearbeitet. Ein Klick genügt für Ihre Bewertung.`
      : `Ein Klick genügt, um ${companyName} zu bewerten.`,
  greeting: (name) => (name ? `Guten Tag ${name},` : "Guten Tag,"),
  intro: ({ item, technicians, technicianCount, companyName }) => {
    if (!item) return `Wir möchten gern wissen, wie zufrieden Sie mit ${companyName} sind.`;
    const who = technicians ?? "Unser Team";
    const has = technicianCount > 1 ? "haben" : "hat";
    return item.kind === "project"
      ? `Ihr Projekt ${item.reference}${quoted(item.summary)} ist abgeschlossen. ${who} ${has} daran gearbeitet, und wir möchten wissen, wie es für Sie gelaufen ist.`
      : `${who} ${has} vor Kurzem Ihr Ticket ${item.reference}${quoted(item.summary)} bearbeitet.`;
  },
  reminderNote:
    "Wir haben noch keine Rückmeldung von Ihnen erhalten – Ihre Meinung ist uns wichtig.",
  defaultQuestion: ({ item, nps, companyName }) =>
    nps
      ? `Wie wahrscheinlich ist es, dass Sie ${companyName} einem Freund oder Kollegen empfehlen?`
      : item?.kind === "project"
        ? "Wie zufrieden sind Sie mit dem Verlauf des Projekts?"
        : "Wie zufrieden sind Sie mit unserem Service?",
  instruction: "Klicken Sie unten auf Ihre Antwort. Ein Klick genügt.",
  faces: ["Unzufrieden", "Neutral", "Zufrieden"],
  csat5: ["Sehr unzufrieden", "Unzufrieden", "Neutral", "Zufrieden", "Sehr zufrieden"],
  npsEnds: ["Überhaupt nicht wahrscheinlich", "Äußerst wahrscheinlich"],
  scoreOutOf: (score, max) => `${score} von ${max}`,
  afterClick:
    "Ihr Klick speichert Ihre Antwort; auf der nächsten Seite können Sie einen Kommentar ergänzen.",
  footerReason: (companyName) =>
    `Sie erhalten diese E-Mail, weil ${companyName} eine Anfrage für Sie bearbeitet hat.`,
  unsubscribe: "Diese Umfragen abbestellen",
  unsubscribeText: "Abbestellen:",
} satisfies Messages;

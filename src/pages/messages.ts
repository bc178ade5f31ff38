import type { Scale } from "../db/schema/index.ts";

/** The words of the pages people see, per language. */
export interface PageMessages {
  lang: "en" | "de";
  thanksTitle: string;
  thanksLead: string;
  yourAnswer: string;
  changeHint: string;
  finalNote: string;
  commentLabel: string;
  commentHint: (max: number) => string;
  send: string;
  /** Shown when the click did not record the answer (see `ThankYouProps.unconfirmed`). */
  confirmNote: string;
  confirm: string;
  commentSaved: string;
  yourComment: string;
  scoreLabel: (scale: Scale, score: number) => string;
  notFoundTitle: string;
  notFoundBody: string;
  expiredTitle: string;
  expiredBody: string;
  invalidScoreTitle: string;
  invalidScoreBody: string;
  tooLongTitle: string;
  tooLongBody: (max: number) => string;
  unreadableTitle: string;
  unreadableBody: string;
  forbiddenTitle: string;
  forbiddenBody: string;
  rateLimitedTitle: string;
  rateLimitedBody: (seconds: number) => string;
  unsubscribeTitle: string;
  unsubscribeBody: string;
  unsubscribeButton: string;
  unsubscribedTitle: string;
  unsubscribedBody: string;
  backHint: string;
}

// Formatters are built once: building one per page costs more than the rest of the page.
const englishNumber = new Intl.NumberFormat("en");
const germanNumber = new Intl.NumberFormat("de");

const csat5En = ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"];
const csat5De = ["Sehr unzufrieden", "Unzufrieden", "Neutral", "Zufrieden", "Sehr zufrieden"];

const en: PageMessages = {
  lang: "en",
  thanksTitle: "Thank you for your feedback",
  thanksLead: "Your answer helps the team that worked for you.",
  yourAnswer: "Your answer",
  changeHint: "Changed your mind? Choose another answer:",
  finalNote: "Your answer is recorded and can no longer be changed.",
  commentLabel: "Anything you would like to add? (optional)",
  commentHint: (max) => `Up to ${englishNumber.format(max)} characters.`,
  send: "Send comment",
  confirmNote:
    "Please confirm your answer with the button below, with or without a comment: we could not " +
    "record it from the link alone.",
  confirm: "Confirm my answer",
  commentSaved: "Thank you, your comment has been saved.",
  yourComment: "Your comment",
  scoreLabel: (scale, score) =>
    scale === "nps"
      ? `${score} out of 10`
      : scale === "csat5"
        ? (csat5En[score - 1] ?? String(score))
        : (["Unhappy", "Okay", "Happy"][score - 1] ?? String(score)),
  notFoundTitle: "This link does not work",
  notFoundBody:
    "The link may be incomplete. Please open it again from the email, or reply to the email to reach us.",
  expiredTitle: "This survey has closed",
  expiredBody: "The survey is no longer open for answers. Thank you all the same.",
  invalidScoreTitle: "That answer is not on the scale",
  invalidScoreBody: "Please choose one of the answers in the email.",
  tooLongTitle: "Your comment is too long",
  tooLongBody: (max) =>
    `Comments can be up to ${englishNumber.format(max)} characters. Please go back, shorten it and send it again.`,
  unreadableTitle: "We could not read your comment",
  unreadableBody:
    "It contains a character we cannot store. Please go back, type it again and send it.",
  forbiddenTitle: "We could not accept this form",
  forbiddenBody: "Please open the link from the email again and send the form from that page.",
  rateLimitedTitle: "Too many requests",
  rateLimitedBody: (seconds) => `Please wait ${seconds} seconds and try again.`,
  unsubscribeTitle: "Stop receiving surveys?",
  unsubscribeBody: "You will no longer receive satisfaction surveys from us at this address.",
  unsubscribeButton: "Unsubscribe",
  unsubscribedTitle: "You are unsubscribed",
  unsubscribedBody: "You will not receive further surveys from us. Thank you for your time.",
  backHint: "You can close this page.",
};

const de: PageMessages = {
  lang: "de",
  thanksTitle: "Vielen Dank für Ihr Feedback",
  thanksLead: "Ihre Antwort hilft dem Team, das für Sie gearbeitet hat.",
  yourAnswer: "Ihre Antwort",
  changeHint: "Anders entschieden? Wählen Sie eine andere Antwort:",
  finalNote: "Ihre Antwort ist gespeichert und kann nicht mehr geändert werden.",
  commentLabel: "Möchten Sie noch etwas ergänzen? (optional)",
  commentHint: (max) => `Bis zu ${germanNumber.format(max)} Zeichen.`,
  send: "Kommentar senden",
  confirmNote:
    "Bitte bestätigen Sie Ihre Antwort mit der Schaltfläche unten, mit oder ohne Kommentar: Über " +
    "den Link allein konnten wir sie nicht speichern.",
  confirm: "Antwort bestätigen",
  commentSaved: "Vielen Dank, Ihr Kommentar wurde gespeichert.",
  yourComment: "Ihr Kommentar",
  scoreLabel: (scale, score) =>
    scale === "nps"
      ? `${score} von 10`
      : scale === "csat5"
        ? (csat5De[score - 1] ?? String(score))
        : (["Unzufrieden", "In Ordnung", "Zufrieden"][score - 1] ?? String(score)),
  notFoundTitle: "Dieser Link funktioniert nicht",
  notFoundBody:
    "Der Link ist möglicherweise unvollständig. Bitte öffnen Sie ihn erneut aus der E-Mail oder antworten Sie auf die E-Mail.",
  expiredTitle: "Diese Umfrage ist beendet",
  expiredBody: "Die Umfrage nimmt keine Antworten mehr an. Trotzdem vielen Dank.",
  invalidScoreTitle: "Diese Antwort gibt es nicht",
  invalidScoreBody: "Bitte wählen Sie eine der Antworten aus der E-Mail.",
  tooLongTitle: "Ihr Kommentar ist zu lang",
  tooLongBody: (max) =>
    `Kommentare dürfen bis zu ${germanNumber.format(max)} Zeichen lang sein. Bitte gehen Sie zurück, kürzen Sie ihn und senden Sie ihn erneut.`,
  unreadableTitle: "Ihr Kommentar war nicht lesbar",
  unreadableBody:
    "Er enthält ein Zeichen, das wir nicht speichern können. Bitte gehen Sie zurück, geben Sie ihn erneut ein und senden Sie ihn.",
  forbiddenTitle: "Dieses Formular konnten wir nicht annehmen",
  forbiddenBody:
    "Bitte öffnen Sie den Link aus der E-Mail erneut und senden Sie das Formular von dort.",
  rateLimitedTitle: "Zu viele Anfragen",
  rateLimitedBody: (seconds) => `Bitte warten Sie ${seconds} Sekunden und versuchen Sie es erneut.`,
  unsubscribeTitle: "Keine Umfragen mehr erhalten?",
  unsubscribeBody: "Sie erhalten an diese Adresse keine Zufriedenheitsumfragen mehr von uns.",
  unsubscribeButton: "Abmelden",
  unsubscribedTitle: "Sie sind abgemeldet",
  unsubscribedBody: "Sie erhalten keine weiteren Umfragen von uns. Vielen Dank für Ihre Zeit.",
  backHint: "Sie können diese Seite schließen.",
};

const byLanguage = { en, de } as const;

/**
 * The contact's language when we support it, else the browser's first supported
 * Accept-Language entry, else English.
 */
export function pageMessages(
  contactLocale: string | null | undefined,
  acceptLanguage: string | undefined,
) {
  const fromContact = supported(contactLocale ?? "");
  if (fromContact) return byLanguage[fromContact];
  const ranked = (acceptLanguage ?? "")
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([0-9.]+)/.exec(p)?.[1]).find(Boolean);
      return { tag, q: q === undefined ? 1 : Number(q) };
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const language = supported(tag);
    if (language) return byLanguage[language];
  }
  return en;
}

function supported(tag: string): "en" | "de" | undefined {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return primary === "de" ? "de" : primary === "en" ? "en" : undefined;
}

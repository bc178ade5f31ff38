import type { CopyContext, Messages } from "../messages.ts";

const itemName = (item: NonNullable<CopyContext["item"]>) =>
  `${item.kind === "project" ? "project" : "ticket"} ${item.reference}`;

// A work item without a summary is named by its number alone, not followed by empty quotes.
const quoted = (summary: string) => (summary ? ` “${summary}”` : "");

export default {
  lang: "en",
  subject: ({ item, reminder, nps, companyName }) => {
    const question = item
      ? `How did we do on ${itemName(item)}?`
      : nps
        ? `Would you recommend ${companyName}?`
        : "How are we doing?";
    return reminder
      ? `Reminder: ${question.charAt(0).toLowerCase()}${question.slice(1)}`
      : question;
  },
  preheader: ({ item, technicians, companyName }) =>
    item
      ? `${technicians ?? "Our team"} worked on ${itemName(item)}. One click tells us how it went.`
      : `One click tells ${companyName} how we are doing.`,
  greeting: (name) => (name ? `Hi ${name},` : "Hello,"),
  intro: ({ item, technicians, companyName }) => {
    if (!item) return `We would like to know how ${companyName} is doing for you.`;
    const who = technicians ?? "Our team";
    return item.kind === "project"
      ? `Your project ${item.reference}${quoted(item.summary)} is complete. ${who} worked on it, and we would like to know how it went.`
      : `${who} recently worked on your ticket ${item.reference}${quoted(item.summary)}.`;
  },
  reminderNote: "We have not heard from you yet, and your opinion matters to us.",
  defaultQuestion: ({ item, nps, companyName }) =>
    nps
      ? `How likely are you to recommend ${companyName} to a friend or colleague?`
      : item?.kind === "project"
        ? "How satisfied are you with how the project went?"
        : "How satisfied are you with the service you received?",
  instruction: "Click your answer below. One click is all it takes.",
  faces: ["Unhappy", "Neutral", "Happy"],
  csat5: ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
  npsEnds: ["Not at all likely", "Extremely likely"],
  scoreOutOf: (score, max) => `${score} out of ${max}`,
  afterClick: "Your click records your answer; you can add a comment on the next page.",
  footerReason: (companyName) =>
    `You are receiving this email because ${companyName} worked on a request for you.`,
  unsubscribe: "Unsubscribe from these surveys",
  unsubscribeText: "Unsubscribe:",
} satisfies Messages;

import { createElement } from "react";
import type { Branding } from "./branding.ts";
import { buildContent } from "./content.ts";
import { renderHtml } from "./html.ts";
import { loadLocales, pickMessages } from "./locale.ts";
import { SurveyBody } from "./survey-email.tsx";
import { renderText } from "./text.ts";

export type { Branding } from "./branding.ts";

export interface SurveyEmailInput {
  variant: "survey" | "reminder";
  scale: "csat3" | "csat5" | "nps";
  /** null for campaign surveys, which are about no particular ticket or project. */
  workItem: {
    kind: "ticket" | "project";
    externalId: string;
    /** The number the client knows it by, when the PSA has one apart from the id. */
    reference?: string | null;
    summary: string;
  } | null;
  contactName: string | null;
  /** BCP 47; English when no locale matches. */
  locale: string | null;
  /** Names of who worked on the item. */
  technicians: string[];
  /** The survey's question for this locale, if set. */
  question: string | null;
  /** PUBLIC_BASE_URL. */
  baseUrl: string;
  /** The invitation's link token (at most 32 URL-safe characters). */
  token: string;
  branding: Branding;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

/** Renders one survey or reminder email: subject, HTML, plain text and the unsubscribe headers. */
export async function renderSurveyEmail(input: SurveyEmailInput): Promise<RenderedEmail> {
  const messages = pickMessages(await loadLocales(), input.locale);
  const content = buildContent(input, messages);
  return {
    subject: content.subject,
    html: await renderHtml(content.lang, content.subject, createElement(SurveyBody, { content })),
    text: renderText(content),
    headers: {
      "List-Unsubscribe": `<${content.unsubscribeUrl}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}

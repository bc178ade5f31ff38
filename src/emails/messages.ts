/** What the copy of a survey email can refer to. */
export interface CopyContext {
  companyName: string;
  /** The ticket or project, or null for a campaign survey. */
  item: { kind: "ticket" | "project"; reference: string; summary: string } | null;
  /** Who worked on it, already joined for the language ("Anna, Ben and Chris"), or null. */
  technicians: string | null;
  /** How many people `technicians` names, for grammar ("hat" or "haben"). */
  technicianCount: number;
}

/**
 * Every string of a survey email in one language. A locale is one file under `locales/`
 * named by its language tag (`fr.ts`, `pt-br.ts`) whose default export satisfies this type.
 */
export interface Messages {
  /** The BCP 47 tag written into `<html lang>` and used to join names. */
  lang: string;
  subject(context: CopyContext & { reminder: boolean; nps: boolean }): string;
  /** The inbox preview line. */
  preheader(context: CopyContext): string;
  greeting(contactName: string | null): string;
  /** The first paragraph: what happened and who worked on it. */
  intro(context: CopyContext): string;
  /** A line before the intro of a reminder. */
  reminderNote: string;
  /** The question when the survey sets none. */
  defaultQuestion(context: CopyContext & { nps: boolean }): string;
  /** Under the question: how to answer. */
  instruction: string;
  /** csat3 faces, 1 = unhappy, 2 = neutral, 3 = happy. */
  faces: readonly [string, string, string];
  /** csat5 meanings of 1..5. */
  csat5: readonly [string, string, string, string, string];
  /** The meanings of NPS 0 and 10. */
  npsEnds: readonly [string, string];
  /** The accessible name of one score link ("7 out of 10"). */
  scoreOutOf(score: number, max: number): string;
  /** A sentence under the buttons: a click records the answer, a comment may follow. */
  afterClick: string;
  /** Footer: why the contact gets this email. */
  footerReason(companyName: string): string;
  unsubscribe: string;
  /** Plain-text label before the unsubscribe URL. */
  unsubscribeText: string;
}

import {
  ACCENT_COLOR_PATTERN,
  type Branding,
  defaultBranding,
  readableOn,
  shownLogo,
} from "./branding.ts";
import { joinNames } from "./locale.ts";
import type { CopyContext, Messages } from "./messages.ts";
import type { SurveyEmailInput } from "./render.ts";

/** One score button: its own link, what it shows, and what a screen reader says. */
export interface ScoreLink {
  score: number;
  href: string;
  /** What the button shows: a face or the number. */
  face: string;
  /** A word under a face (csat3 only). */
  caption: string | null;
  ariaLabel: string;
}

/**
 * Everything an email says, decided once, so the HTML and the plain text cannot disagree.
 * Strings here are plain text: the HTML template escapes them.
 */
export interface EmailContent {
  lang: string;
  subject: string;
  preheader: string;
  greeting: string;
  reminderNote: string | null;
  intro: string;
  question: string;
  instruction: string;
  scale: SurveyEmailInput["scale"];
  scores: ScoreLink[];
  /** The meanings of the lowest and highest score, shown under numeric scales. */
  ends: readonly [string, string] | null;
  afterClick: string;
  unsubscribeUrl: string;
  unsubscribe: string;
  unsubscribeText: string;
  footerReason: string;
  footerAddress: string | null;
  companyName: string;
  logoUrl: string | null;
  accentColor: string;
  /** Text on the accent colour: white or near-black, whichever reads better. */
  onAccentColor: string;
}

const FACES = ["\u{1F61E}", "\u{1F610}", "\u{1F60A}"] as const;
const TOKEN = /^[A-Za-z0-9_-]{1,32}$/;

export function buildContent(input: SurveyEmailInput, messages: Messages): EmailContent {
  if (!TOKEN.test(input.token)) {
    throw new Error("A survey link token is 1 to 32 URL-safe characters.");
  }
  const base = input.baseUrl.replace(/\/+$/, "");
  const link = (score: number) => `${base}/r/${input.token}/${score}`;
  const branding = safeBranding(input.branding);
  const nps = input.scale === "nps";
  const names = [...new Set(input.technicians.map(oneLine).filter(Boolean))];
  const context: CopyContext = {
    companyName: branding.companyName,
    item: input.workItem && {
      kind: input.workItem.kind,
      reference: reference(input.workItem.reference || input.workItem.externalId),
      summary: oneLine(input.workItem.summary),
    },
    technicians: joinNames(messages, names),
    technicianCount: names.length,
  };
  const reminder = input.variant === "reminder";
  return {
    lang: messages.lang,
    subject: oneLine(messages.subject({ ...context, reminder, nps })),
    preheader: messages.preheader(context),
    greeting: messages.greeting(input.contactName ? oneLine(input.contactName) : null),
    reminderNote: reminder ? messages.reminderNote : null,
    intro: messages.intro(context),
    question: input.question?.trim() || messages.defaultQuestion({ ...context, nps }),
    instruction: messages.instruction,
    scale: input.scale,
    scores: scoreLinks(input.scale, messages, link),
    ends:
      input.scale === "csat5"
        ? [messages.csat5[0], messages.csat5[4]]
        : nps
          ? messages.npsEnds
          : null,
    afterClick: messages.afterClick,
    unsubscribeUrl: `${base}/u/${input.token}`,
    unsubscribe: messages.unsubscribe,
    unsubscribeText: messages.unsubscribeText,
    footerReason: messages.footerReason(branding.companyName),
    footerAddress: branding.footerAddress,
    companyName: branding.companyName,
    logoUrl: branding.logoUrl,
    accentColor: branding.accentColor,
    onAccentColor: readableOn(branding.accentColor),
  };
}

function scoreLinks(
  scale: SurveyEmailInput["scale"],
  messages: Messages,
  link: (score: number) => string,
): ScoreLink[] {
  if (scale === "csat3") {
    return FACES.map((face, index) => ({
      score: index + 1,
      href: link(index + 1),
      face,
      caption: messages.faces[index]!,
      ariaLabel: `${messages.faces[index]!} (${messages.scoreOutOf(index + 1, 3)})`,
    }));
  }
  const [min, max] = scale === "nps" ? [0, 10] : [1, 5];
  const scores: ScoreLink[] = [];
  for (let score = min; score <= max; score++) {
    const meaning = scale === "csat5" ? messages.csat5[score - 1] : undefined;
    const outOf = messages.scoreOutOf(score, max);
    scores.push({
      score,
      href: link(score),
      face: String(score),
      caption: null,
      ariaLabel: meaning ? `${outOf}: ${meaning}` : outOf,
    });
  }
  return scores;
}

/** PSA numbers are shown as `#48213`; numbers that already carry a sign are left alone. */
function reference(number: string): string {
  const id = oneLine(number);
  return /^[A-Za-z0-9]/.test(id) ? `#${id}` : id;
}

/** Line breaks in names and summaries would break headers and the plain-text layout. */
export function oneLine(value: string): string {
  return value.replace(/\s+/g, " ").trim();
}

/** Stored branding is validated on save; this guards the markup against rows edited by hand. */
function safeBranding(branding: Branding): Branding {
  return {
    ...branding,
    companyName: oneLine(branding.companyName) || defaultBranding.companyName,
    accentColor: ACCENT_COLOR_PATTERN.test(branding.accentColor)
      ? branding.accentColor
      : defaultBranding.accentColor,
    logoUrl: shownLogo(branding.logoUrl),
  };
}

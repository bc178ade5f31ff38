import { defaultBranding } from "./branding.ts";
import type { SurveyEmailInput } from "./render.ts";

/** The five emails people receive, as realistic inputs: for previews, checks and benchmarks. */
export const templateNames = ["csat3", "csat5", "nps", "reminder", "project"] as const;
export type TemplateName = (typeof templateNames)[number];

const ticket = {
  kind: "ticket",
  externalId: "48213",
  summary: "Outlook keeps asking for the password",
} as const;

const base: SurveyEmailInput = {
  variant: "survey",
  scale: "csat3",
  workItem: ticket,
  contactName: "Dana Whitfield",
  locale: "en-US",
  technicians: ["Anna Berg", "Ben Okafor"],
  question: null,
  baseUrl: "https://surveys.example.com",
  token: "Q2xpY2tUaGlzVG9rZW4xMjM0",
  branding: defaultBranding,
};

const samples: Record<TemplateName, SurveyEmailInput> = {
  csat3: base,
  csat5: { ...base, scale: "csat5" },
  nps: { ...base, scale: "nps", workItem: null, technicians: [] },
  reminder: { ...base, variant: "reminder", scale: "csat5" },
  project: {
    ...base,
    workItem: { kind: "project", externalId: "P-1042", summary: "Office move to Riverside Park" },
    technicians: ["Anna Berg", "Ben Okafor", "Chiara Russo"],
  },
};

/** One template's sample input, with overrides. */
export function sampleEmail(
  name: TemplateName,
  overrides: Partial<SurveyEmailInput> = {},
): SurveyEmailInput {
  return { ...samples[name], ...overrides };
}

/** Every link a template's scores point to, in order. */
export function scoreUrls(input: SurveyEmailInput): string[] {
  const [min, max] = input.scale === "nps" ? [0, 10] : input.scale === "csat5" ? [1, 5] : [1, 3];
  const base = input.baseUrl.replace(/\/+$/, "");
  const urls: string[] = [];
  for (let score = min; score <= max; score++) urls.push(`${base}/r/${input.token}/${score}`);
  return urls;
}

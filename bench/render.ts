import { pathToFileURL } from "node:url";
import { buildContent, type EmailContent } from "../src/emails/content.ts";
import { loadLocales, pickMessages } from "../src/emails/locale.ts";
import { renderSurveyEmail, type SurveyEmailInput } from "../src/emails/render.ts";
import { sampleEmail, templateNames } from "../src/emails/samples.ts";
import { renderText } from "../src/emails/text.ts";

/**
 * Survey emails rendered per second on one core, against plain string templating of the same
 * content in the same run, so a slow machine shows in both numbers and the ratio stays honest.
 */
export async function benchRender(options: { count: number }): Promise<{
  name: string;
  rate: number;
  baselineRate: number;
  unit: string;
}> {
  const inputs = varied(Math.max(1, options.count));
  const warmUp = inputs.slice(0, Math.min(100, inputs.length));
  const locales = await loadLocales();
  const baseline = async (input: SurveyEmailInput) => {
    const content = buildContent(input, pickMessages(locales, input.locale));
    return { html: stringTemplate(content), text: renderText(content) };
  };

  // Warm both paths (module loading, the shell of each language, JIT) before timing.
  for (const input of warmUp) {
    await renderSurveyEmail(input);
    await baseline(input);
  }
  const baselineRate = await ratePerSecond(inputs, baseline);
  const rate = await ratePerSecond(inputs, renderSurveyEmail);
  return { name: "render survey email (jsx-email)", rate, baselineRate, unit: "emails/s" };
}

async function ratePerSecond(
  inputs: SurveyEmailInput[],
  render: (input: SurveyEmailInput) => Promise<{ html: string }>,
): Promise<number> {
  let bytes = 0;
  const started = performance.now();
  for (const input of inputs) bytes += (await render(input)).html.length;
  const seconds = (performance.now() - started) / 1000;
  if (bytes === 0) throw new Error("rendering produced nothing");
  return Math.round(inputs.length / seconds);
}

/** Every template, both shipped languages, a different token and contact each time. */
function varied(count: number): SurveyEmailInput[] {
  return Array.from({ length: count }, (_, index) => {
    const name = templateNames[index % templateNames.length]!;
    return sampleEmail(name, {
      locale: index % 2 === 0 ? "en-GB" : "de-DE",
      contactName: `Contact ${index}`,
      token: `tok${index.toString(36).padStart(21, "0")}`,
    });
  });
}

const escapeHtml = (value: string) =>
  value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

/** The baseline: the same content as hand-written template strings, with the same escaping. */
function stringTemplate(content: EmailContent): string {
  const p = (text: string) => `<p style="margin:0 0 16px;font-size:16px">${escapeHtml(text)}</p>`;
  const scores = content.scores
    .map(
      (score) =>
        `<td align="center" style="padding:0 2px"><a href="${escapeHtml(score.href)}" aria-label="${escapeHtml(score.ariaLabel)}" style="display:block;background-color:${content.accentColor};color:${content.onAccentColor};padding:12px 0;border-radius:6px;text-decoration:none">${escapeHtml(score.face)}${score.caption ? `<br>${escapeHtml(score.caption)}` : ""}</a></td>`,
    )
    .join("");
  return `<!DOCTYPE html><html lang="${content.lang}"><head><meta charset="utf-8"><title>${escapeHtml(content.subject)}</title></head><body style="margin:0;background-color:#f4f4f5"><div style="display:none">${escapeHtml(content.preheader)}</div><table role="presentation" width="100%" style="max-width:600px;margin:0 auto"><tr><td style="background-color:#ffffff;padding:28px 24px">${p(content.greeting)}${content.reminderNote ? p(content.reminderNote) : ""}${p(content.intro)}${p(content.question)}<table role="presentation" width="100%" style="table-layout:fixed"><tr>${scores}</tr></table>${p(content.afterClick)}</td></tr></table><p style="text-align:center;font-size:12px">${escapeHtml(content.footerReason)}<br><a href="${escapeHtml(content.unsubscribeUrl)}">${escapeHtml(content.unsubscribe)}</a></p></body></html>`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await benchRender({ count: Number(process.argv[2] ?? 1000) }));
}

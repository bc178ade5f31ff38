import { jsxToString, render } from "jsx-email";
import { createElement, type ReactElement } from "react";
import { EmailShell } from "./survey-email.tsx";

// Placeholders that survive jsx-email's render untouched: plain words, no markup.
const TITLE_SLOT = "rapportTitleSlot7f3a";
const BODY_SLOT = "rapportBodySlot7f3a";

const shells = new Map<string, Promise<readonly [string, string, string]>>();

/**
 * jsx-email's `render` parses and re-serialises the whole document with rehype on every call,
 * to hoist the head's Outlook conditionals; that pass is most of its cost. The document shell is
 * the same for every email of a language, so it is rendered fully once per language and the
 * body, which needs no such pass, goes through jsx-email's own `jsxToString` (which escapes every
 * text and attribute) per email.
 */
export async function renderHtml(lang: string, title: string, body: ReactElement): Promise<string> {
  const [beforeTitle, beforeBody, afterBody] = await shellFor(lang);
  const [escapedTitle, html] = await Promise.all([jsxToString(title), jsxToString(body)]);
  return beforeTitle + escapedTitle + beforeBody + html + afterBody;
}

function shellFor(lang: string): Promise<readonly [string, string, string]> {
  let shell = shells.get(lang);
  if (!shell) {
    shell = renderShell(lang);
    shell.catch(() => shells.delete(lang));
    shells.set(lang, shell);
  }
  return shell;
}

async function renderShell(lang: string): Promise<readonly [string, string, string]> {
  const html = await render(createElement(EmailShell, { lang, title: TITLE_SLOT }, BODY_SLOT));
  const [beforeTitle, rest, ...extraTitles] = html.split(TITLE_SLOT);
  const [beforeBody, afterBody, ...extraBodies] = (rest ?? "").split(BODY_SLOT);
  if (rest === undefined || afterBody === undefined || extraTitles.length || extraBodies.length) {
    throw new Error("The email shell lost its placeholders in rendering.");
  }
  return [beforeTitle!, beforeBody!, afterBody];
}

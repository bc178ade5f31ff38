import { readdir } from "node:fs/promises";
import type { Messages } from "./messages.ts";

/** The language every other one falls back to; `locales/en.ts` must exist. */
export const FALLBACK_LANGUAGE = "en";

const localesDir = new URL("./locales/", import.meta.url);
// `de.ts`, `pt-br.ts`, and their compiled `.js` twins; declaration files are not locales.
const LOCALE_FILE = /^([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.(?:ts|js|mts|mjs)$/i;

let registry: Promise<ReadonlyMap<string, Messages>> | undefined;

/**
 * Every file in `locales/` is a locale, so adding a language is adding one file. The folder is
 * read once per process; a failed read is retried on the next call.
 */
export function loadLocales(): Promise<ReadonlyMap<string, Messages>> {
  if (!registry) {
    registry = discoverLocales(localesDir).then((locales) => {
      if (!locales.has(FALLBACK_LANGUAGE))
        throw new Error(`locales/${FALLBACK_LANGUAGE}.ts is missing`);
      return locales;
    });
    registry.catch(() => {
      registry = undefined;
    });
  }
  return registry;
}

/** The locales of one folder, keyed by lower-case language tag. */
export async function discoverLocales(folder: URL): Promise<ReadonlyMap<string, Messages>> {
  const files = (await readdir(folder)).filter(
    (file) => LOCALE_FILE.test(file) && !file.endsWith(".d.ts"),
  );
  const entries = await Promise.all(
    files.map(async (file) => {
      const tag = LOCALE_FILE.exec(file)![1]!.toLowerCase();
      const module = (await import(new URL(file, folder).href)) as { default: Messages };
      return [tag, module.default] as const;
    }),
  );
  return new Map(entries);
}

/**
 * The messages for a contact's BCP 47 tag: the exact tag, then ever shorter prefixes
 * (`de-AT` -> `de`), then English.
 */
export function pickMessages(locales: ReadonlyMap<string, Messages>, tag: string | null): Messages {
  const parts = (tag ?? "").trim().toLowerCase().replaceAll("_", "-").split("-");
  for (let length = parts.length; length > 0; length--) {
    const found = locales.get(parts.slice(0, length).join("-"));
    if (found) return found;
  }
  return locales.get(FALLBACK_LANGUAGE)!;
}

const listFormats = new Map<string, Intl.ListFormat>();

/** "Anna, Ben and Chris" in the email's language; null when nobody is named. */
export function joinNames(messages: Messages, names: readonly string[]): string | null {
  if (names.length === 0) return null;
  let format = listFormats.get(messages.lang);
  if (!format) {
    format = new Intl.ListFormat(messages.lang, { style: "long", type: "conjunction" });
    listFormats.set(messages.lang, format);
  }
  return format.format(names);
}

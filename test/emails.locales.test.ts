import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverLocales, loadLocales, pickMessages } from "../src/emails/locale.ts";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "rapport-locales-"));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

describe("locales", () => {
  it("English and German ship, and every shipped locale has every message", async () => {
    const locales = await loadLocales();
    expect([...locales.keys()]).toEqual(expect.arrayContaining(["en", "de"]));
    const englishKeys = Object.keys(locales.get("en")!).sort();
    for (const [tag, messages] of locales) {
      expect(Object.keys(messages).sort(), tag).toEqual(englishKeys);
    }
  });

  it("a language is added by dropping one file into the locales folder", async () => {
    // A French locale made from the English file: the file name alone registers it.
    const english = await readFile(new URL("../src/emails/locales/en.ts", import.meta.url), "utf8");
    await writeFile(
      join(folder, "fr.ts"),
      english.replace('lang: "en"', 'lang: "fr"').replace('"Hello,"', '"Bonjour,"'),
    );
    await writeFile(join(folder, "README.md"), "not a locale");
    const locales = await discoverLocales(pathToFileURL(`${folder}/`));
    expect([...locales.keys()]).toEqual(["fr"]);
    expect(pickMessages(locales, "fr-CA").greeting(null)).toBe("Bonjour,");
  });

  it("the most specific matching tag wins, then its language, then English", async () => {
    const locales = new Map([
      ["en", { lang: "en" }],
      ["pt", { lang: "pt" }],
      ["pt-br", { lang: "pt-BR" }],
    ]) as unknown as Parameters<typeof pickMessages>[0];
    expect(pickMessages(locales, "pt-BR").lang).toBe("pt-BR");
    expect(pickMessages(locales, "pt_br").lang).toBe("pt-BR");
    expect(pickMessages(locales, "pt-PT").lang).toBe("pt");
    expect(pickMessages(locales, "PT").lang).toBe("pt");
    expect(pickMessages(locales, "de-AT").lang).toBe("en");
    expect(pickMessages(locales, null).lang).toBe("en");
  });
});

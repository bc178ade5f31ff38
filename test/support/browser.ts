import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's `chromium` package; CI installs it (`apt-get install chromium`). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const chromiumInstalled = existsSync(CHROMIUM_PATH);

/**
 * Browser tests skip on a workstation without Chromium (with a note saying so) but never in CI
 * (`CI` set), where a missing browser must fail the run rather than pass it silently.
 */
export const skipWithoutChromium = !chromiumInstalled && !process.env.CI;

if (skipWithoutChromium) {
  console.warn(
    `Browser tests skipped: no Chromium at ${CHROMIUM_PATH} (install it with: apt-get install chromium).`,
  );
}

/** A headless Chromium with no network chatter of its own; close it in `afterAll`. */
export async function launchBrowser(): Promise<Browser> {
  if (!chromiumInstalled) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: install Debian's package with ` +
        "`apt-get install -y chromium` to run the browser tests.",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

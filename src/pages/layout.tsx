import { createHash } from "node:crypto";
import type { Child } from "hono/jsx";
import { ACCENT_COLOR_PATTERN, type Branding, readableOn, shownLogo } from "../emails/branding.ts";

const DEFAULT_ACCENT = "#2563eb";

/** The branding's accent colour when it is a valid one, else the default. */
function accentColor(accent: string): string {
  return ACCENT_COLOR_PATTERN.test(accent) ? accent : DEFAULT_ACCENT;
}

/**
 * Mobile-first styles; the one accent colour comes from the branding, validated (nothing else can
 * reach the stylesheet's text).
 * Text on the accent is white or near-black, as in the emails, so a light brand colour stays readable.
 */
function stylesheetText(accent: string): string {
  const color = accentColor(accent);
  return `:root{--accent:${color};--on-accent:${readableOn(color)};color-scheme:light dark}
*{box-sizing:border-box}
body{margin:0;background:#f4f4f5;color:#1f2937;font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:36rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:1.25rem;margin-top:1rem}
header{display:flex;align-items:center;gap:.75rem;padding-top:.5rem}
header img{max-height:40px;max-width:160px}
.brand{font-weight:600}
h1{font-size:1.4rem;line-height:1.25;margin:0 0 .5rem}
.muted{color:#4b5563}
.answer{font-size:1.25rem;font-weight:600;margin:.25rem 0 1rem}
.scores{display:flex;flex-wrap:wrap;gap:.5rem;padding:0;margin:.5rem 0 1rem;list-style:none}
.scores a{display:inline-block;min-width:44px;min-height:44px;padding:.6rem .8rem;border:1px solid #d1d5db;border-radius:8px;color:#1f2937;text-align:center;text-decoration:none}
.scores a[aria-current]{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}
.scores a:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
textarea{width:100%;min-height:7rem;font:inherit;padding:.6rem;border:1px solid #9ca3af;border-radius:8px;background:inherit;color:inherit}
button{margin-top:.75rem;min-height:44px;padding:.6rem 1.2rem;font:inherit;font-weight:600;color:var(--on-accent);background:var(--accent);border:0;border-radius:8px;cursor:pointer}
.notice{border-left:4px solid var(--accent);padding:.5rem .75rem;background:#f9fafb}
blockquote{margin:.5rem 0;padding:.5rem .75rem;border-left:4px solid #d1d5db;white-space:pre-wrap;overflow-wrap:anywhere}
footer{font-size:.85rem;color:#4b5563;padding:1rem 0;text-align:center;white-space:pre-line}
@media (prefers-color-scheme:dark){body{background:#111827;color:#f3f4f6}.card{background:#1f2937;border-color:#374151}.muted,footer{color:#d1d5db}.scores a{color:#f3f4f6;border-color:#4b5563}.notice{background:#111827}}`;
}

/**
 * The stylesheet's version: a digest of its text, so a release that changes it changes every
 * page's link, and browsers holding the old one (cached for a year) fetch the new one.
 */
export const PAGE_STYLESHEET_VERSION = createHash("sha256")
  .update(stylesheetText(DEFAULT_ACCENT))
  .digest("hex")
  .slice(0, 12);

/**
 * Where a page's stylesheet is served: its accent colour and version are in the path, so any
 * instance can serve it without state, and each variant can be cached for good.
 */
export function pageStylesheetPath(accent: string): string {
  const color = accentColor(accent);
  return `/assets/pages/${color.slice(1).toLowerCase()}.${PAGE_STYLESHEET_VERSION}.css`;
}

const STYLESHEET_FILE = /^([0-9a-f]{6})\.([0-9a-f]{12})\.css$/;

/**
 * The stylesheet a `pageStylesheetPath` file name asks for, and whether it is the current
 * version (only that one may be cached for good); undefined for any other name.
 */
export function pageStylesheet(file: string): { text: string; current: boolean } | undefined {
  const match = STYLESHEET_FILE.exec(file);
  if (!match) return undefined;
  return {
    text: stylesheetText(`#${match[1]}`),
    current: match[2] === PAGE_STYLESHEET_VERSION,
  };
}

export function Layout(props: {
  branding: Branding;
  lang: string;
  title: string;
  children: Child;
}) {
  const { branding } = props;
  const logo = shownLogo(branding.logoUrl);
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · ${branding.companyName}`}</title>
        <link rel="stylesheet" href={pageStylesheetPath(branding.accentColor)} />
      </head>
      <body>
        <main>
          <header>
            {logo ? (
              <img src={logo} alt={branding.companyName} />
            ) : (
              <span class="brand">{branding.companyName}</span>
            )}
          </header>
          <div class="card">{props.children}</div>
          {branding.footerAddress ? <footer>{branding.footerAddress}</footer> : null}
        </main>
      </body>
    </html>
  );
}

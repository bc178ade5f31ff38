import { eq, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { settings } from "../db/schema/index.ts";
import { within } from "../deadline.ts";

/** How survey emails look and whom they come from; one per instance, kept in `settings`. */
export interface Branding {
  companyName: string;
  /** An https URL, or null for a text-only header. */
  logoUrl: string | null;
  /** `#rrggbb`. */
  accentColor: string;
  fromAddress: string;
  replyTo: string | null;
  /** Postal address shown in the footer (anti-spam laws in many countries ask for one). */
  footerAddress: string | null;
}

export const defaultBranding: Branding = {
  companyName: "rapport",
  logoUrl: null,
  accentColor: "#2563eb",
  fromAddress: "surveys@example.com",
  replyTo: null,
  footerAddress: null,
};

const SETTING_KEY = "branding";
export const ACCENT_COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/;

/** The logo an email or page shows: an https one only (the scheme in any case), else none. */
export function shownLogo(logoUrl: string | null): string | null {
  return logoUrl && /^https:\/\//i.test(logoUrl) ? logoUrl : null;
}

/**
 * Text on the accent colour (`#rrggbb`): white or near-black, whichever has the higher WCAG
 * contrast. Emails and public pages both use it, so a light brand colour stays readable.
 */
export function readableOn(hex: string): string {
  const luminanceOf = (color: string) => {
    const channel = (offset: number) => {
      const value = Number.parseInt(color.slice(offset, offset + 2), 16) / 255;
      return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  };
  const luminance = luminanceOf(hex);
  const dark = luminanceOf("#111827");
  const contrastWithWhite = 1.05 / (luminance + 0.05);
  const contrastWithDark = (luminance + 0.05) / (dark + 0.05);
  return contrastWithWhite >= contrastWithDark ? "#ffffff" : "#111827";
}

/** The instance's branding; any field never saved (or saved by an older version) takes its default. */
export async function loadBranding({
  ctx,
}: {
  ctx: Pick<ServiceContext, "db">;
}): Promise<Branding> {
  const [row] = await ctx.db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, SETTING_KEY));
  return withDefaults(row?.value);
}

/**
 * How long a server process reuses the branding it read for public pages (score links,
 * unsubscribe, error pages). A save through this process shows at once; one through another
 * instance shows within these few seconds. Emails and the API always read the database.
 */
export const PAGE_BRANDING_TTL_MS = 5_000;
let pageBrandingCache = new WeakMap<object, { at: number; branding: Promise<Branding> }>();
const lastKnownBranding = new WeakMap<object, Branding>();

/** The branding for a page a person sees: read at most once per few seconds per process. */
export function pageBranding({ ctx }: { ctx: Pick<ServiceContext, "db"> }): Promise<Branding> {
  const now = Date.now();
  const cached = pageBrandingCache.get(ctx.db);
  if (cached && now - cached.at < PAGE_BRANDING_TTL_MS) return cached.branding;
  const branding = loadBranding({ ctx });
  pageBrandingCache.set(ctx.db, { at: now, branding });
  branding.then((known) => lastKnownBranding.set(ctx.db, known)).catch(() => {});
  branding.catch(() => pageBrandingCache.delete(ctx.db));
  return branding;
}

/**
 * The page branding, or within `ms` the last one known (else the defaults): error pages must
 * render even while the database does not answer.
 */
export function pageBrandingWithin(
  { ctx }: { ctx: Pick<ServiceContext, "db"> },
  ms: number,
): Promise<Branding> {
  const fallback = () => lastKnownBranding.get(ctx.db) ?? defaultBranding;
  return within(pageBranding({ ctx }).catch(fallback), ms, fallback);
}

/** Replaces the branding as a whole (a PUT): fields left out go back to their default. */
export async function saveBranding({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: Partial<Branding>;
}): Promise<Branding> {
  const branding = withDefaults(input);
  const now = ctx.clock.now();
  await ctx.db
    .insert(settings)
    .values({ key: SETTING_KEY, value: branding, updatedAt: now })
    .onConflictDoUpdate({
      target: settings.key,
      set: { value: sql`excluded.value`, updatedAt: now },
    });
  pageBrandingCache = new WeakMap();
  return branding;
}

/** `"Company" <address>`, the From header the sender should use. */
export function formatFrom(branding: Pick<Branding, "companyName" | "fromAddress">): string {
  const name = branding.companyName.replace(/[\r\n"\\]/g, " ").trim();
  return name ? `"${name}" <${branding.fromAddress}>` : branding.fromAddress;
}

function withDefaults(value: unknown): Branding {
  const stored = (value && typeof value === "object" ? value : {}) as Partial<Branding>;
  const pick = <K extends keyof Branding>(key: K): Branding[K] =>
    stored[key] === undefined ? defaultBranding[key] : (stored[key] as Branding[K]);
  return {
    companyName: pick("companyName"),
    logoUrl: pick("logoUrl"),
    accentColor: pick("accentColor"),
    fromAddress: pick("fromAddress"),
    replyTo: pick("replyTo"),
    footerAddress: pick("footerAddress"),
  };
}

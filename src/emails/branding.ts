import { eq, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { settings } from "../db/schema/index.ts";

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

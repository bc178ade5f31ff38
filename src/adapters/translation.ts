import { z } from "@hono/zod-openapi";
import { isPlausibleInstant } from "../instant.ts";
import type { CanonicalEventInput, eventTypes } from "../intake/event.ts";
import type { IntegrationConfig } from "../integrations/integrations.ts";
import type { StatusTarget } from "../integrations/model.ts";

/** A payload the adapter cannot turn into a canonical event; `field` names where it failed. */
export class MappingError extends Error {
  override name = "MappingError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** What an adapter makes of one delivery: an event, or a documented reason to record nothing. */
export type Translation =
  | { kind: "event"; event: CanonicalEventInput }
  | { kind: "ignored"; reason: string };

export type EventType = (typeof eventTypes)[number];
export type Touch = NonNullable<CanonicalEventInput["touches"]>[number];

/**
 * JSON from a PSA, its strings made storable: an unpaired surrogate (broken encoding in a name,
 * say) becomes U+FFFD, as it would in any UTF-8 text, and a NUL character is dropped, rather than
 * failing the whole event.
 */
export function parseVendorJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === "string" ? value.toWellFormed().replaceAll("\u0000", "") : value,
  );
}

/**
 * At most `max` UTF-16 units of a text, never ending in half of a character: a cut through a
 * surrogate pair (an emoji, say) would leave text PostgreSQL cannot store.
 */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const last = value.charCodeAt(max - 1);
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * A canonical event's id: the vendor's record, the event and when it happened, then the change
 * the callback reports, when the vendor names one apart from that time. A vendor's retry of one
 * callback repeats all of it (one event); a later callback on a record already closed (time
 * logged after the close, an entry corrected) is another event, not a repeat of the close.
 */
export function eventId(
  record: string,
  type: EventType,
  occurredAt: string,
  change: string | undefined,
): string {
  const id = `${record}:${type}:${occurredAt}`;
  return change === undefined || change === occurredAt ? id : `${id}:${change}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value as a trimmed string: vendors send ids as numbers or strings; empty means absent. */
export function text(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

export function requireText(value: unknown, field: string): string {
  const found = text(value);
  if (found === undefined) throw new MappingError(field, `\`${field}\` is missing or empty.`);
  return found;
}

/**
 * An ISO 8601 / RFC 3339 date-time as vendors write it: `T`, `t` or a space between date and
 * time, optional seconds and fraction (any number of digits, `.` or `,`), and an optional offset
 * (`Z`, `+hh`, `+hhmm`, `+hh:mm`); or a date alone.
 */
const VENDOR_DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * RFC 3339 from a vendor date. A date-time without an offset is read as UTC, and a date alone as
 * its UTC midnight: never in the server's own time zone, so the instant recorded does not depend
 * on where rapport runs. Any other shape is refused rather than guessed at.
 */
export function instant(value: unknown, field: string): string | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  const parts = VENDOR_DATE_TIME.exec(raw);
  const parsed = parts && isCalendarDate(parts[1]!) ? new Date(rfc3339Of(parts)) : undefined;
  if (!parsed || !isPlausibleInstant(parsed)) {
    throw new MappingError(field, `\`${field}\` is not a date-time: "${raw.slice(0, 40)}".`);
  }
  return parsed.toISOString();
}

/** A Date rolls 2026-02-30 over to March 2nd; a vendor sending it has sent no real date. */
function isCalendarDate(date: string): boolean {
  const midnight = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(midnight.getTime()) && midnight.toISOString().startsWith(date);
}

function rfc3339Of([
  ,
  date,
  hoursMinutes = "00:00",
  seconds = "00",
  fraction = "",
  zone = "Z",
]: string[]) {
  const offset = /^[Zz]$/.test(zone)
    ? "Z"
    : `${zone.slice(0, 3)}:${zone.slice(3).replace(":", "") || "00"}`;
  // Milliseconds are what a Date keeps; further digits (.NET writes seven) are cut, not rounded.
  return `${date}T${hoursMinutes}:${seconds}.${fraction.padEnd(3, "0").slice(0, 3)}${offset}`;
}

export function requireInstant(value: unknown, field: string): string {
  const found = instant(value, field);
  if (found === undefined) throw new MappingError(field, `\`${field}\` is missing or empty.`);
  return found;
}

const email = z.email();

/** A member's address is optional: anything that is not an address is dropped. */
export function emailOrNull(value: unknown): string | null {
  const found = text(value);
  return found && email.safeParse(found).success ? found : null;
}

/** A contact's address decides the survey: an invalid one is a mapping error, not a silent drop. */
export function contactEmail(value: unknown, field: string): string | null {
  const found = text(value);
  if (found === undefined) return null;
  if (!email.safeParse(found).success) {
    throw new MappingError(field, `\`${field}\` is not an email address.`);
  }
  return found;
}

/** The first of `keys` (board names, ids) present in a mapping. */
export function lookup<T>(map: Record<string, T>, keys: Array<string | undefined>): T | undefined {
  for (const key of keys) {
    if (key !== undefined && Object.hasOwn(map, key)) return map[key];
  }
  const lowered = Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
  for (const key of keys) {
    if (key !== undefined && Object.hasOwn(lowered, key.toLowerCase())) {
      return lowered[key.toLowerCase()];
    }
  }
  return undefined;
}

/** The team a board or queue belongs to, or a mapping error naming the field that held it. */
export function boardTeam(
  integration: IntegrationConfig,
  keys: Array<string | undefined>,
  field: string,
): string {
  if (keys.every((key) => key === undefined)) {
    throw new MappingError(field, `\`${field}\` is missing: the team cannot be chosen.`);
  }
  const team = lookup(integration.boardTeams, keys);
  if (!team) {
    const shown = keys.filter(Boolean).join(" / ");
    throw new MappingError(
      field,
      `No team is mapped for board or queue "${shown}"; add it to the integration's boardTeams.`,
    );
  }
  return team;
}

/** A member's own team, when the integration names one (`settings.memberTeams`). */
export function ownTeam(integration: IntegrationConfig, member: string): string | undefined {
  const teams = integration.settings.memberTeams;
  // Own keys only: a member named `constructor` is not Object.prototype's.
  return (teams && Object.hasOwn(teams, member) && teams[member]) || undefined;
}

/** A member's own team when the integration names one, else the board's. */
export function memberTeam(integration: IntegrationConfig, member: string, board: string): string {
  return ownTeam(integration, member) ?? board;
}

/** The statusMap entry for a status, by name or id. */
export function mappedStatus(
  integration: IntegrationConfig,
  keys: Array<string | undefined>,
): StatusTarget | undefined {
  return lookup(integration.statusMap, keys);
}

/** A ticket type for a project and the other way round, so one statusMap serves both. */
export function forKind(kind: "ticket" | "project", type: EventType): EventType {
  if (kind === "project") {
    if (type === "ticket.closed") return "project.completed";
    if (type.startsWith("ticket.")) return "project.updated";
  } else {
    if (type === "project.completed") return "ticket.closed";
    if (type === "project.updated") return "ticket.updated";
  }
  return type;
}

export function isClosing(type: EventType): boolean {
  return type === "ticket.closed" || type === "project.completed";
}

/** One touch per member and role; repeated time entries of a member add up their minutes. */
export function distinctTouches(touches: Touch[]): Touch[] {
  const merged = new Map<string, Touch>();
  for (const touch of touches) {
    const key = `${touch.member.externalId}\0${touch.role}`;
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { ...touch });
      continue;
    }
    if (touch.minutes != null) seen.minutes = (seen.minutes ?? 0) + touch.minutes;
    if (touch.at < seen.at) seen.at = touch.at;
  }
  return [...merged.values()];
}

export function hoursToMinutes(value: unknown): number | null {
  const hours = typeof value === "string" ? Number(value) : value;
  if (typeof hours !== "number" || !Number.isFinite(hours) || hours < 0) return null;
  return Math.round(hours * 60);
}

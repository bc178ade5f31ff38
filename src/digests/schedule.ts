import { localParts, zonedMidnight, zonedTime } from "../goals/calendar.ts";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export interface DigestSchedule {
  /** 1 = Monday .. 7 = Sunday. */
  weekday: number;
  hour: number;
  minute: number;
}

/** `mon 08:00` (DIGEST_SCHEDULE, already validated by the config). */
export function parseSchedule(value: string): DigestSchedule {
  const [day, time] = value.trim().toLowerCase().split(/\s+/);
  const [hour, minute] = (time ?? "").split(":").map(Number);
  return { weekday: WEEKDAYS.indexOf(day ?? "") + 1, hour: hour ?? 0, minute: minute ?? 0 };
}

export interface DigestSlot {
  /** ISO week of the send date, such as `2026-W48`: one digest per team and slot. */
  week: string;
  sendAt: Date;
  /** The week the digest reports on: the seven local days before the send date. */
  from: Date;
  to: Date;
  /** The week before that, for the trend. */
  previousFrom: Date;
}

/** The latest scheduled send time at or before `now`, with the weeks it reports on. */
export function latestSlot(now: Date, schedule: DigestSchedule, timeZone: string): DigestSlot {
  const local = localParts(now, timeZone);
  const back = (local.weekday - schedule.weekday + 7) % 7;
  let day = new Date(Date.UTC(local.year, local.month - 1, local.day - back));
  let sendAt = atLocal(day, timeZone, schedule.hour, schedule.minute);
  if (sendAt > now) {
    day = new Date(day.getTime() - 7 * 86_400_000);
    sendAt = atLocal(day, timeZone, schedule.hour, schedule.minute);
  }
  const daysBefore = (days: number) => {
    const d = new Date(day.getTime() - days * 86_400_000);
    return zonedMidnight(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), timeZone);
  };
  return {
    week: isoWeek(day),
    sendAt,
    from: daysBefore(7),
    to: daysBefore(0),
    previousFrom: daysBefore(14),
  };
}

function atLocal(day: Date, timeZone: string, hour: number, minute: number): Date {
  return zonedTime(
    day.getUTCFullYear(),
    day.getUTCMonth() + 1,
    day.getUTCDate(),
    timeZone,
    hour,
    minute,
  );
}

/** ISO 8601 week of a calendar date (given as UTC midnight): `2026-W48`. */
export function isoWeek(day: Date): string {
  const date = new Date(day.getTime());
  const weekday = date.getUTCDay() || 7;
  // The Thursday of this week decides the year.
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

/** The local midnight `days` local days before `midnight` (itself a local midnight) in the zone. */
export function localMidnightBefore(midnight: Date, days: number, timeZone: string): Date {
  const local = localParts(midnight, timeZone);
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day - days));
  return zonedMidnight(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), timeZone);
}

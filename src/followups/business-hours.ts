/** Business hours: Monday to Friday, 09:00 to 17:00 wall-clock time in the configured zone. */
const OPENING_HOUR = 9;
const CLOSING_HOUR = 17;
const HOUR_MS = 3_600_000;

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall clock at `at`, read through Intl (exact, and slow: microseconds a call). */
export function formattedWallTime(at: Date, zone: string): WallTime {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(
    format.formatToParts(at).map((part) => [part.type, Number(part.value)]),
  );
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/*
 * Zones change their UTC offset at local times such as 02:00, and every offset in use is a
 * multiple of 15 minutes, so offsets change only at instants on a 15-minute UTC grid. A zone's
 * offset is read once per grid slot and kept; a slot whose two ends disagree (a change inside it)
 * is never kept, and its instants are read through Intl one by one.
 */
const SLOT_MS = 15 * 60_000;
const offsets = new Map<string, number | null>();

function offsetAt(ms: number, zone: string): number {
  const wall = formattedWallTime(new Date(ms), zone);
  const seconds = Math.floor(ms / 1000) * 1000;
  return (
    Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - seconds
  );
}

function slotOffset(ms: number, zone: string): number | null {
  const slot = Math.floor(ms / SLOT_MS);
  const key = `${zone}\n${slot}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = offsetAt(slot * SLOT_MS, zone);
    offset = start === offsetAt((slot + 1) * SLOT_MS - 1000, zone) ? start : null;
    if (offsets.size >= 10_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** The zone's wall clock at `at`, to the second, the same as `formattedWallTime` answers. */
export function wallTime(at: Date, zone: string): WallTime {
  const offset = slotOffset(at.getTime(), zone);
  if (offset === null) return formattedWallTime(at, zone);
  const shifted = new Date(Math.floor(at.getTime() / 1000) * 1000 + offset);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}

/** The instant at which the zone's clocks show the given date and hour (DST-aware). */
function instantOf(year: number, month: number, day: number, hour: number, zone: string): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour);
  let guess = asUtc;
  // Two passes settle the offset, also across a daylight-saving change.
  for (let pass = 0; pass < 2; pass++) {
    const seen = wallTime(new Date(guess), zone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
    guess += asUtc - seenAsUtc;
  }
  return new Date(guess);
}

function weekday(wall: WallTime): number {
  return new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
}

function nextDay(wall: WallTime): { year: number; month: number; day: number } {
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + 1));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** `start` plus `hours` of business time in `zone`: the moment a case becomes overdue. */
export function addBusinessHours(start: Date, hours: number, zone: string): Date {
  let remaining = hours * HOUR_MS;
  let cursor = start;
  for (let guard = 0; guard < 10_000; guard++) {
    const wall = wallTime(cursor, zone);
    const day = weekday(wall);
    const opening = instantOf(wall.year, wall.month, wall.day, OPENING_HOUR, zone);
    const closing = instantOf(wall.year, wall.month, wall.day, CLOSING_HOUR, zone);
    if (day === 0 || day === 6 || cursor.getTime() >= closing.getTime()) {
      const next = nextDay(wall);
      cursor = instantOf(next.year, next.month, next.day, OPENING_HOUR, zone);
      continue;
    }
    if (cursor.getTime() < opening.getTime()) cursor = opening;
    const available = closing.getTime() - cursor.getTime();
    if (remaining <= available) return new Date(cursor.getTime() + remaining);
    remaining -= available;
    const next = nextDay(wall);
    cursor = instantOf(next.year, next.month, next.day, OPENING_HOUR, zone);
  }
  throw new Error("business hours did not converge");
}

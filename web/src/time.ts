/** Times shown in the unit's time zone (from /api/v1/site), with the zone named, whatever the
 * browser's own zone is: a supervisor in another province reads the same clock as the unit. */
let unitZone = "Asia/Shanghai";

export function setUnitZone(zone: string): void {
  unitZone = zone;
}

export function getUnitZone(): string {
  return unitZone;
}

function parts(date: Date, zone: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  return Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]));
}

/** "2026-12-03 16:05:09" for an instant (ISO string with offset, or Date), in the zone. */
export function formatInstant(value: string | Date | null | undefined, zone: string = unitZone): string {
  if (value === null || value === undefined || value === "") return "";
  const date = typeof value === "string" ? new Date(hasOffset(value) ? value : value + "Z") : value;
  if (Number.isNaN(date.getTime())) return "";
  const p = parts(date, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** The zone's offset from UTC in minutes at that instant (+480 for Asia/Shanghai). */
export function zoneOffsetMinutes(date: Date, zone: string = unitZone): number {
  const p = parts(date, zone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

/** "UTC+08:00", shown beside times so nobody guesses the zone. */
export function zoneLabel(zone: string = unitZone, at: Date = new Date()): string {
  const m = zoneOffsetMinutes(at, zone);
  const sign = m < 0 ? "-" : "+";
  const a = Math.abs(m);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

/** A wall-clock time typed in the unit's zone ("2026-12-03 08:00:00") as a UTC ISO string. */
export function wallToUtcIso(wall: string, zone: string = unitZone): string {
  const m = wall.trim().match(/^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/);
  if (!m) throw new Error(`not a time: ${wall}`);
  const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  // Two passes settle the offset even on a daylight-saving change.
  let utc = guess - zoneOffsetMinutes(new Date(guess), zone) * 60000;
  utc = guess - zoneOffsetMinutes(new Date(utc), zone) * 60000;
  return new Date(utc).toISOString().replace(".000Z", "Z");
}

function hasOffset(value: string): boolean {
  return /(Z|[+-]\d{2}:?\d{2})$/.test(value);
}

/** The coverage explorer's view as it lives in the URL (?from=&to=&status=&unit=&officer=&event=&tab=),
 * so other pages can link here (/coverage?status=missing,partial) and the back button walks the
 * drill-down. Days are YYYY-MM-DD in the unit's zone; the period defaults to this month so far. */

export const STATUSES = ["covered", "partial", "missing", "pending"] as const;
export type Status = (typeof STATUSES)[number];
export const TABS = ["explore", "roadside", "accidents"] as const;
export type Tab = (typeof TABS)[number];

export interface ExploreView {
  from: string;
  to: string; // inclusive
  status: Status[];
  unit: number | null;
  officer: string;
  event: number | null;
  tab: Tab;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Today's date in the zone, as YYYY-MM-DD. */
export function todayIn(zone: string, now: Date = new Date()): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit",
    day: "2-digit" }).formatToParts(now).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

function one(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "string" ? v : "";
}

function id(value: unknown): number | null {
  const v = one(value);
  return /^\d{1,9}$/.test(v) && +v > 0 ? +v : null;
}

/** The view a URL query asks for; anything unreadable falls back to the default. */
export function readView(query: Record<string, unknown>, today: string): ExploreView {
  let from = one(query.from);
  let to = one(query.to);
  if (!DAY.test(to)) to = today;
  if (!DAY.test(from)) from = to.slice(0, 8) + "01";
  if (from > to) [from, to] = [to, from];
  const status = one(query.status).split(",").filter((s): s is Status => (STATUSES as readonly string[]).includes(s));
  const tab = (TABS as readonly string[]).includes(one(query.tab)) ? (one(query.tab) as Tab) : "explore";
  const officer = one(query.officer).slice(0, 32);
  return { from, to, status: [...new Set(status)], unit: id(query.unit), officer, event: id(query.event), tab };
}

/** The URL query of a view: only what differs from the default, so plain links stay short. */
export function viewQuery(v: ExploreView, today: string): Record<string, string> {
  const q: Record<string, string> = {};
  const fallback = readView({}, today);
  if (v.from !== fallback.from || v.to !== fallback.to) Object.assign(q, { from: v.from, to: v.to });
  if (v.status.length) q.status = v.status.join(",");
  if (v.unit) q.unit = String(v.unit);
  if (v.officer) q.officer = v.officer;
  if (v.event) q.event = String(v.event);
  if (v.tab !== "explore") q.tab = v.tab;
  return q;
}

/** "87.5%" for a rate, "—" when nothing is settled yet. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "—";
  return `${Math.round(rate * 1000) / 10}%`;
}

/** "1:05:03" or "4:00" for seconds. */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** The day after a YYYY-MM-DD day (calendar arithmetic, no zone involved). */
export function dayAfter(day: string): string {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

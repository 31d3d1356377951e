/** The home page's period and unit as they live in the URL (so a link or the back button
 * restores the same view), the API parameters, and the numbers as a person reads them. */
import type { Schemas } from "@/api/client";

export type Overview = Schemas["OverviewOut"];
export const PERIODS = ["day", "week", "month"] as const;
export type Period = (typeof PERIODS)[number];

export interface OverviewQuery {
  period: Period;
  start: string; // YYYY-MM-DD, "" = yesterday / this week / this month
  unit: string; // unit id, "" = the caller's unit (supervisor) or every unit
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function one(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "string" ? v.trim() : "";
}

export function fromRoute(q: Record<string, unknown>): OverviewQuery {
  const period = one(q.period);
  const start = one(q.start);
  const unit = one(q.unit);
  return {
    period: (PERIODS as readonly string[]).includes(period) ? (period as Period) : "day",
    start: DAY.test(start) ? start : "",
    unit: /^\d{1,9}$/.test(unit) ? unit : "",
  };
}

export function toRoute(q: OverviewQuery): Record<string, string> {
  const out: Record<string, string> = {};
  if (q.period !== "day") out.period = q.period;
  if (q.start) out.start = q.start;
  if (q.unit) out.unit = q.unit;
  return out;
}

export function toApi(q: OverviewQuery): { period: Period; start?: string; unit_id?: number } {
  return { period: q.period, ...(q.start ? { start: q.start } : {}), ...(q.unit ? { unit_id: Number(q.unit) } : {}) };
}

/** The first day of the period before (steps −1) or after (+1) the one starting on `start`. */
export function shiftStart(period: Period, start: string, steps: number): string {
  const [y, m, d] = start.split("-").map(Number);
  const t = period === "month" ? new Date(Date.UTC(y, m - 1 + steps, 1))
    : new Date(Date.UTC(y, m - 1, d + steps * (period === "week" ? 7 : 1)));
  return t.toISOString().slice(0, 10);
}

/** 0.5 → "50.0%"; no settled event → "—". */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** Recorded time in the largest unit that keeps it readable: {n, unit} for the translator. */
export function recordedTime(seconds: number): { n: string; unit: "hours" | "minutes" | "seconds" } {
  if (seconds >= 3600) return { n: (seconds / 3600).toFixed(1), unit: "hours" };
  if (seconds >= 60) return { n: String(Math.floor(seconds / 60)), unit: "minutes" };
  return { n: String(Math.round(seconds)), unit: "seconds" };
}

export type TodoKey = "missing_or_partial" | "late_uploads" | "unlinked_recordings" |
  "accident_cases_without_recording" | "access_requests_to_decide";

export interface TodoLink {
  key: TodoKey;
  count: number;
  to: { path: string; query: Record<string, string> };
}

/** Each to-do count with the list it opens: the coverage explorer, the library, access requests.
 * Day ranges are the period's days in the unit's zone, both ends included, as those pages read them. */
export function todoLinks(o: Overview): TodoLink[] {
  const days = { from: o.start, to: o.end };
  const unit: Record<string, string> = o.unit ? { unit: o.unit.code } : {};
  const unitId: Record<string, string> = o.unit ? { unit: String(o.unit.id) } : {}; // the explorer takes the id
  const out: TodoLink[] = [
    { key: "missing_or_partial", count: o.todo.missing_or_partial,
      to: { path: "/coverage", query: { status: "missing,partial", ...days, ...unitId } } },
    // The explorer has no late-upload filter yet: the link opens the period's explorer.
    { key: "late_uploads", count: o.todo.late_uploads,
      to: { path: "/coverage", query: { ...days, ...unitId } } },
    { key: "unlinked_recordings", count: o.todo.unlinked_recordings,
      to: { path: "/library", query: { linked: "false", ...days, ...unit } } },
    { key: "accident_cases_without_recording", count: o.todo.accident_cases_without_recording,
      to: { path: "/coverage", query: { tab: "accidents", ...days, ...unitId } } },
  ];
  const access = o.todo.access_requests_to_decide;
  if (access !== null && access !== undefined) {
    out.push({ key: "access_requests_to_decide", count: access, to: { path: "/access-requests", query: {} } });
  }
  return out;
}

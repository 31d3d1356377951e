/** The library's filter, sort and page as they live in the URL query (so the back button and a
 * shared link restore the same view), and as API parameters. Dates are days in the unit's zone;
 * the API reads a time without offset in the unit's zone, so a day range is [from 00:00, to+1 00:00). */

export const KINDS = ["video", "audio", "photo", "other"] as const;
export const STATES = ["queued", "processing", "ready", "unplayable", "failed"] as const;
export const SORTS = ["started_at", "duration", "camera", "kind", "state", "important", "size", "officer"] as const;
export const PAGE_SIZES = [20, 50, 100] as const;

export interface LibraryQuery {
  officer: string;
  unit: string;
  camera: string;
  from: string; // YYYY-MM-DD
  to: string; // YYYY-MM-DD, inclusive
  kind: string;
  state: string;
  important: "" | "true" | "false";
  linked: "" | "true" | "false";
  case_no: string;
  event_id: string;
  sort: (typeof SORTS)[number];
  order: "asc" | "desc";
  page: number;
  size: number;
}

const TEXT_KEYS = ["officer", "unit", "camera", "from", "to", "kind", "state", "important", "linked", "case_no", "event_id"] as const;
export type FilterKey = (typeof TEXT_KEYS)[number];
export const FILTER_KEYS: readonly FilterKey[] = TEXT_KEYS;

export function emptyQuery(): LibraryQuery {
  return { officer: "", unit: "", camera: "", from: "", to: "", kind: "", state: "", important: "", linked: "",
    case_no: "", event_id: "", sort: "started_at", order: "desc", page: 1, size: 50 };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function one(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "string" ? v.trim() : "";
}

/** Read the URL query; anything unknown or malformed falls back to the default. */
export function fromRoute(q: Record<string, unknown>): LibraryQuery {
  const out = emptyQuery();
  for (const key of TEXT_KEYS) (out as unknown as Record<string, string>)[key] = one(q[key]).slice(0, 64);
  if (out.from && !DAY.test(out.from)) out.from = "";
  if (out.to && !DAY.test(out.to)) out.to = "";
  if (!(KINDS as readonly string[]).includes(out.kind)) out.kind = "";
  if (!(STATES as readonly string[]).includes(out.state)) out.state = "";
  if (!["", "true", "false"].includes(out.important)) out.important = "";
  if (!["", "true", "false"].includes(out.linked)) out.linked = "";
  const sort = one(q.sort);
  if ((SORTS as readonly string[]).includes(sort)) out.sort = sort as LibraryQuery["sort"];
  if (one(q.order) === "asc") out.order = "asc";
  const page = Number.parseInt(one(q.page), 10);
  if (Number.isFinite(page) && page >= 1 && page <= 100000) out.page = page;
  const size = Number.parseInt(one(q.size), 10);
  if (Number.isFinite(size) && size >= 1 && size <= 200) out.size = size; // the API's limit
  return out;
}

/** The URL query: only what differs from the default, so links stay short. */
export function toRoute(q: LibraryQuery): Record<string, string> {
  const d = emptyQuery();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v !== "" && v !== (d as unknown as Record<string, unknown>)[k]) out[k] = String(v);
  }
  return out;
}

/** The day after a YYYY-MM-DD day (calendar arithmetic, no zone involved). */
export function nextDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + 1));
  return t.toISOString().slice(0, 10);
}

/** Which matches a count belongs to: the filter without sort and page. */
export function filterKey(q: LibraryQuery): string {
  return JSON.stringify(FILTER_KEYS.map((k) => q[k]));
}

export function toApi(q: LibraryQuery, withTotal: boolean): Record<string, string | number | boolean> {
  const p: Record<string, string | number | boolean> = { sort: q.sort, order: q.order, page: q.page, page_size: q.size,
    with_total: withTotal };
  for (const key of ["officer", "unit", "camera", "kind", "state", "case_no", "event_id"] as const) {
    if (q[key]) p[key] = q[key];
  }
  if (q.important) p.important = q.important === "true";
  if (q.linked) p.linked = q.linked === "true";
  if (q.from) p.start_from = `${q.from}T00:00:00`;
  if (q.to) p.start_to = `${nextDay(q.to)}T00:00:00`;
  return p;
}

/** 65.4 → "1:05", 3725 → "1:02:05". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

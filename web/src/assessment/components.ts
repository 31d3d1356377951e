/** The five rates of the assessment, in the order the pages show them, and how a rate is written. */
export const COMPONENTS = ["coverage", "on_time", "event_link", "case_link", "review_pass"] as const;
export type Component = (typeof COMPONENTS)[number];

/** "87.5%", or "–" for a rate with nothing to count. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "–";
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** The month after "YYYY-MM", as its first day ("2026-12" → "2027-01-01"). */
export function nextMonthStart(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
}

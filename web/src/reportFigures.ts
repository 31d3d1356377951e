/** Small pure helpers of the 日清 / 周评 / 月结 pages: rates as percentages, the trend of a rate
 * against the weeks before, the week a day falls in, and the name of a downloaded file. */

/** "87.5%" for 0.875; "—" when there is nothing settled to rate. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "—";
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** This week's rate minus the mean of the earlier weeks that had a rate (null when either is unknown). */
export function trendDelta(trend: (number | null)[]): number | null {
  if (!trend.length) return null;
  const now = trend[trend.length - 1];
  const before = trend.slice(0, -1).filter((r): r is number => r !== null && r !== undefined);
  if (now === null || now === undefined || !before.length) return null;
  return now - before.reduce((a, b) => a + b, 0) / before.length;
}

/** "▲ 5.0" / "▼ 12.5" / "= 0.0" percentage points; "" when unknown. */
export function deltaText(delta: number | null): string {
  if (delta === null) return "";
  const points = Math.round(delta * 1000) / 10;
  const arrow = points > 0 ? "▲" : points < 0 ? "▼" : "=";
  return `${arrow} ${Math.abs(points).toFixed(1)}`;
}

/** The Monday of the week of a "YYYY-MM-DD" day (weeks run Monday to Sunday). */
export function mondayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - back);
  return d.toISOString().slice(0, 10);
}

/** The Sunday that ends the week starting on a Monday "YYYY-MM-DD". */
export function sundayAfter(monday: string): string {
  const d = new Date(`${monday}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 6);
  return d.toISOString().slice(0, 10);
}

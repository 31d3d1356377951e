/** How the review pages write watched time: "0:30 / 40:00 (1%)", the warning under a share,
 * and the unit's today for the default period. */
import { formatInstant } from "@/time";

export const WATCH_WARN = 0.5; // under this share of the recording watched, the figure is shown in warning colour

/** "0:30", "40:00", "1:02:03" (whole seconds, rounded down). */
export function clockOf(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds + 1e-6));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The share watched (0..1), or null without a duration. */
export function shareOf(watched: number, duration: number | null | undefined): number | null {
  return duration && duration > 0 ? Math.min(1, watched / duration) : null;
}

/** "0:30 / 40:00 (1%)", or "0:30" without a duration. */
export function watchedText(watched: number, duration: number | null | undefined): string {
  const share = shareOf(watched, duration);
  if (share === null) return clockOf(watched);
  return `${clockOf(watched)} / ${clockOf(duration!)} (${Math.floor(share * 100)}%)`;
}

export function isLow(watched: number, duration: number | null | undefined): boolean {
  const share = shareOf(watched, duration);
  return share !== null && share < WATCH_WARN;
}

/** Today's date (YYYY-MM-DD) and month (YYYY-MM) in the unit's zone. */
export function unitToday(now: Date = new Date()): string {
  return formatInstant(now).slice(0, 10);
}

/** How long a grant still runs, for the requester's list: whole units a person reads at a glance. */

export type TimeLeft =
  | { state: "expired" }
  | { state: "left"; days: number; hours: number; minutes: number; seconds: number };

export function timeLeft(expiresAt: string | null | undefined, now: number): TimeLeft | null {
  if (!expiresAt) return null;
  const end = new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(expiresAt) ? expiresAt : expiresAt + "Z").getTime();
  if (Number.isNaN(end)) return null;
  const ms = end - now;
  if (ms <= 0) return { state: "expired" };
  const total = Math.ceil(ms / 1000);
  return {
    state: "left",
    days: Math.floor(total / 86400),
    hours: Math.floor((total % 86400) / 3600),
    minutes: Math.floor((total % 3600) / 60),
    seconds: total % 60,
  };
}

/** The two largest units that matter: "2天 3小时", "5分 10秒"; the words come from the caller. */
export function timeLeftText(left: TimeLeft, words: { d: string; h: string; m: string; s: string }): string {
  if (left.state === "expired") return "";
  const parts: [number, string][] = [[left.days, words.d], [left.hours, words.h], [left.minutes, words.m], [left.seconds, words.s]];
  const first = parts.findIndex(([n]) => n > 0);
  return parts.slice(first, first + 2).map(([n, w]) => `${n}${w}`).join(" ");
}

/** A grant's status as the requester sees it now: an approved grant past its end is expired. */
export function grantState(status: string, expiresAt: string | null | undefined, now: number): string {
  if (status !== "approved") return status;
  const left = timeLeft(expiresAt, now);
  return left?.state === "expired" ? "expired" : "approved";
}

/** The case workflow as the pages show it, and the court export's download with progress and hash. */

// The brigade's workflow: 受案 → 调查 → 认定 → 送达 → 送审 → (退办整改 → 调查 …) → 归档
export const STAGES = ["accepted", "investigation", "determination", "served", "review", "returned", "archived"] as const;
export type Stage = (typeof STAGES)[number];
/** The stage bar: the main path; 退办整改 shows on the 送审 step when a case is sent back. */
export const MAIN_PATH: Stage[] = ["accepted", "investigation", "determination", "served", "review", "archived"];

export function stageTagType(stage: string): "primary" | "success" | "warning" | "info" | "danger" {
  if (stage === "archived") return "info";
  if (stage === "returned") return "danger";
  if (stage === "review") return "warning";
  return "primary";
}

/** Where the stage bar stands: the index on MAIN_PATH, and whether that step was sent back. */
export function stageStep(stage: string): { index: number; returned: boolean } {
  if (stage === "returned") return { index: MAIN_PATH.indexOf("review"), returned: true };
  const index = MAIN_PATH.indexOf(stage as Stage);
  return { index: index < 0 ? 0 : index, returned: false };
}

/** "1.5 MB": sizes as people read them (binary units, one decimal). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Percent for a progress bar from bytes received and an expected size that is an estimate:
 * never 100 before the download has ended, never past 99 while it runs. */
export function progressPercent(received: number, expected: number | null | undefined, done: boolean): number {
  if (done) return 100;
  if (!expected || expected <= 0) return 0;
  return Math.min(99, Math.floor((received / expected) * 100));
}

export function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A court pins the fingerprint in groups of four, as the verifier accepts it with or without. */
export function groupFingerprint(fp: string): string {
  return fp.replace(/(.{4})(?=.)/g, "$1 ");
}

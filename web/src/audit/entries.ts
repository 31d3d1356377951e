/** The audit log as the page shows it: which action codes have a plain name, where an entry leads,
 * and the period a report or filter covers. */

/** The action codes the service writes (evidence/, api/; tests/audit/test_action_names.py checks
 * the locale files name every code the source writes); their names live in the locale files
 * under audit.actions.<domain>.<verb>. A code not listed is shown as it is. */
export const ACTION_CODES = [
  "access.request", "access.approve", "access.reject", "access.list",
  "audit.read", "audit.report", "audit.verify",
  "auth.login", "auth.login_failed", "auth.login_throttled", "auth.lock", "auth.unlock",
  "case.create", "case.read", "case.list", "case.attach", "case.detach", "case.mark", "case.stage",
  "case.export", "case.export_failed", "case.legal_hold", "case.legal_hold_released", "case.suggestion_rejected",
  "coverage.events", "coverage.summary", "coverage.my_events", "coverage.accident_cases", "coverage.roadside_missing",
  "coverage.stored_summaries", "coverage.stored_summary",
  "device.create", "device.clock_offset", "device_assignment.import",
  "event.link", "event.links", "event.unlink", "ledger.import",
  "fixity.mismatch", "media.reprocess", "media.ready", "media.unplayable", "media.failed",
  "recording.read", "recording.view", "recording.download", "recording.export", "recording.search",
  "recording.flag", "recording.important", "recording.verified", "recording.verify_failed",
  "recording.legal_hold", "recording.legal_hold_released",
  "retention.apply", "retention.delete", "retention.sweep", "retention.runs",
  "signing_key.register", "signing_key.rotate",
  "station.register", "station.revoke", "unit.create",
  "upload.open", "upload.complete", "upload.dedupe", "upload.expired",
  "user.create", "user.disable", "user.enable", "user.password_reset", "user.change",
  "ledger.preview", "recording.processing_queue",
  "supervision.overview", "supervision.daily", "supervision.weekly", "supervision.monthly",
  "coverage.explorer_units", "coverage.explorer_officers", "coverage.explorer_events", "coverage.event_gaps",
  "explanation.submit", "explanation.decide", "explanation.list", "explanation.mine",
  "review.draw", "review.draws_list", "review.draw_read", "review.item_read", "review.verdict",
  "assessment.read", "assessment.weights",
] as const;

const CODE = /^[a-z_]+\.[a-z_]+$/;

/** The i18n key of an action's plain name, or null when the code has no safe key shape. */
export function actionKey(code: string): string | null {
  return CODE.test(code) ? `audit.actions.${code}` : null;
}

/** The plain name of an action code, the code itself when there is none. */
export function actionName(code: string, t: (key: string) => string, te: (key: string) => boolean): string {
  const key = actionKey(code);
  return key && te(key) ? t(key) : code;
}

/** The page an entry's object opens on, when it is a recording or a case. */
export function entryLink(objectType: string | null | undefined, objectId: string | null | undefined): string | null {
  if (!objectId || !/^\d+$/.test(objectId)) return null;
  if (objectType === "recording") return `/recordings/${objectId}`;
  if (objectType === "case") return `/cases/${objectId}`;
  return null;
}

/** Picked days ("2026-12-01".."2026-12-03", either end may be open) as the API's half-open period,
 * as wall-clock times the API reads in the unit's zone: the first day's start to the day after the last. */
export function periodQuery(from: string | null | undefined, to: string | null | undefined): { start?: string; end?: string } {
  const out: { start?: string; end?: string } = {};
  if (from) out.start = `${from}T00:00:00`;
  if (to) out.end = `${nextDay(to)}T00:00:00`;
  return out;
}

export function nextDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return next.toISOString().slice(0, 10);
}

/** "recording:12" (the access report's form) split for a link. */
export function splitObject(obj: string): { type: string; id: string } {
  const at = obj.indexOf(":");
  return at < 0 ? { type: "", id: obj } : { type: obj.slice(0, at), id: obj.slice(at + 1) };
}

/** Who is signed in: the token (kept in localStorage so a shared link opens signed in) and the
 * user it belongs to. Ending the session remembers the page, so sign-in returns there. */
import { reactive } from "vue";
import type { components } from "@/api/schema";

export type CurrentUser = components["schemas"]["UserOut"];
export type Role = "admin" | "supervisor" | "case_handler" | "officer" | "auditor";

export const session = reactive<{ token: string | null; user: CurrentUser | null; ended: "expired" | "signed_out" | null }>({
  token: localStorage.getItem("token"),
  user: null,
  ended: null,
});

type Navigate = (reason: "expired" | "signed_out") => void;
let onEnd: Navigate = () => {};

/** The router registers how to go to sign-in (kept here so the API client needs no router). */
export function whenSessionEnds(fn: Navigate): void {
  onEnd = fn;
}

export function startSession(token: string, user: CurrentUser): void {
  session.token = token;
  session.user = user;
  session.ended = null;
  localStorage.setItem("token", token);
}

export function endSession(reason: "expired" | "signed_out"): void {
  if (!session.token && !session.user) return;
  session.token = null;
  session.user = null;
  session.ended = reason;
  localStorage.removeItem("token");
  onEnd(reason);
}

export function hasRole(...roles: Role[]): boolean {
  return !!session.user && roles.includes(session.user.role as Role);
}

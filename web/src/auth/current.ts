/** Load who the token belongs to, and the unit's time zone, once per page load. */
import { api } from "@/api/client";
import { session } from "./session";
import { setUnitZone } from "@/time";

export async function loadSite(): Promise<void> {
  const { data } = await api.GET("/api/v1/site");
  if (data) setUnitZone(data.timezone);
}

export async function loadCurrentUser(): Promise<boolean> {
  if (!session.token) return false;
  const [{ data }] = await Promise.all([api.GET("/api/v1/auth/me"), loadSite()]);
  if (!data) return false;
  session.user = data;
  return true;
}

/** The typed API client, generated from the service's OpenAPI document (src/api/schema.d.ts,
 * made by `npm run gen:api` from openapi.json). Every call carries the signed-in user's token;
 * a 401 ends the session and returns to sign-in, which then comes back to the same page. */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths, components } from "./schema";
import { session, endSession } from "@/auth/session";

export type Schemas = components["schemas"];

const auth: Middleware = {
  onRequest({ request }) {
    if (session.token) request.headers.set("Authorization", `Bearer ${session.token}`);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.includes("/api/v1/auth/login")) endSession("expired");
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

/** The message a person can act on, from an error body ({"detail": "..."} or a validation list). */
export function errorText(error: unknown, fallback: string): string {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => (d as { msg?: string }).msg ?? "").join("; ");
  return fallback;
}

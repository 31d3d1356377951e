import { describe, expect, it } from "vitest";
import { emptyQuery, filterKey, formatDuration, fromRoute, nextDay, toApi, toRoute } from "./query";

describe("library query", () => {
  it("round-trips through the URL and drops defaults", () => {
    const q = { ...emptyQuery(), officer: "010203", kind: "video", sort: "duration" as const, order: "asc" as const, page: 3 };
    const route = toRoute(q);
    expect(route).toEqual({ officer: "010203", kind: "video", sort: "duration", order: "asc", page: "3" });
    expect(fromRoute(route)).toEqual(q);
  });

  it("ignores malformed values", () => {
    const q = fromRoute({ kind: "movie", sort: "sha256; drop", page: "-2", from: "yesterday", size: "700", important: "yes" });
    expect(q).toEqual(emptyQuery());
  });

  it("turns a day range into the unit-zone half-open interval", () => {
    const p = toApi({ ...emptyQuery(), from: "2026-12-01", to: "2026-12-31" }, false);
    expect(p.start_from).toBe("2026-12-01T00:00:00");
    expect(p.start_to).toBe("2027-01-01T00:00:00");
    expect(p.with_total).toBe(false);
    expect(nextDay("2028-02-28")).toBe("2028-02-29");
  });

  it("keeps the count across pages and sorts, not across filters", () => {
    const a = { ...emptyQuery(), kind: "audio" };
    expect(filterKey({ ...a, page: 4, sort: "camera" as const })).toBe(filterKey(a));
    expect(filterKey({ ...a, officer: "1" })).not.toBe(filterKey(a));
  });

  it("formats durations", () => {
    expect(formatDuration(65.4)).toBe("1:05");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(null)).toBe("");
  });
});

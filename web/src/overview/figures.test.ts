import { describe, expect, it } from "vitest";
import { fromRoute, percent, recordedTime, shiftStart, toApi, toRoute, todoLinks, type Overview } from "./figures";

describe("home page query", () => {
  it("round-trips through the URL and ignores malformed values", () => {
    const q = { period: "week" as const, start: "2026-11-30", unit: "12" };
    expect(fromRoute(toRoute(q))).toEqual(q);
    expect(toRoute({ period: "day", start: "", unit: "" })).toEqual({});
    expect(fromRoute({ period: "year", start: "yesterday", unit: "1; drop" })).toEqual({ period: "day", start: "", unit: "" });
    expect(toApi(q)).toEqual({ period: "week", start: "2026-11-30", unit_id: 12 });
  });

  it("steps to the neighbouring period by the calendar", () => {
    expect(shiftStart("day", "2026-03-01", -1)).toBe("2026-02-28");
    expect(shiftStart("week", "2026-12-28", 1)).toBe("2027-01-04");
    expect(shiftStart("month", "2026-01-01", -1)).toBe("2025-12-01");
    expect(shiftStart("month", "2026-12-01", 1)).toBe("2027-01-01");
  });

  it("reads rates and recorded time as a person does", () => {
    expect(percent(0.5)).toBe("50.0%");
    expect(percent(2 / 3)).toBe("66.7%");
    expect(percent(null)).toBe("—");
    expect(recordedTime(10.4)).toEqual({ n: "10", unit: "seconds" });
    expect(recordedTime(600)).toEqual({ n: "10", unit: "minutes" });
    expect(recordedTime(5400)).toEqual({ n: "1.5", unit: "hours" });
  });

  it("links each to-do to its list over the period's days", () => {
    const o = { start: "2026-11-30", end: "2026-12-06", unit: { id: 3, code: "HM01", name: "x" },
      todo: { missing_or_partial: 2, late_uploads: 1, unlinked_recordings: 4, accident_cases_without_recording: 0,
        access_requests_to_decide: null } } as unknown as Overview;
    const links = todoLinks(o);
    expect(links.map((l) => l.key)).not.toContain("access_requests_to_decide");
    const library = links.find((l) => l.key === "unlinked_recordings")!;
    expect(library.to).toEqual({ path: "/library", query: { linked: "false", from: "2026-11-30", to: "2026-12-06", unit: "HM01" } });
    expect(links[0].to.query.status).toBe("missing,partial");
  });
});

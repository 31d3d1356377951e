import { describe, expect, it } from "vitest";
import { formatInstant, wallToUtcIso, zoneLabel } from "./time";

describe("unit time zone", () => {
  it("shows an instant on the unit's clock, not the browser's", () => {
    expect(formatInstant("2026-12-03T00:30:00Z", "Asia/Shanghai")).toBe("2026-12-03 08:30:00");
    expect(formatInstant("2026-12-03T00:30:00+00:00", "Asia/Urumqi")).toBe("2026-12-03 06:30:00");
  });
  it("reads a time without offset as UTC (the API's stored instants)", () => {
    expect(formatInstant("2026-12-02T16:00:00", "Asia/Shanghai")).toBe("2026-12-03 00:00:00");
  });
  it("names the zone's offset", () => {
    expect(zoneLabel("Asia/Shanghai")).toBe("UTC+08:00");
    expect(zoneLabel("America/New_York", new Date("2026-07-01T12:00:00Z"))).toBe("UTC-04:00");
  });
  it("turns a typed wall-clock time into the instant, across a daylight-saving change", () => {
    expect(wallToUtcIso("2026-12-03 08:00:00", "Asia/Shanghai")).toBe("2026-12-03T00:00:00Z");
    expect(wallToUtcIso("2026-03-08 03:30", "America/New_York")).toBe("2026-03-08T07:30:00Z");
    expect(() => wallToUtcIso("yesterday", "Asia/Shanghai")).toThrow();
  });
  it("shows nothing for a missing time", () => {
    expect(formatInstant(null)).toBe("");
  });
});

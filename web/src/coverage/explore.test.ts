import { describe, expect, it } from "vitest";
import { clock, percent, readView, todayIn, viewQuery } from "./explore";
import { place, ticks } from "./gapScale";

describe("the explorer's view in the URL", () => {
  it("defaults to this month so far and keeps links short", () => {
    const v = readView({}, "2026-12-03");
    expect(v).toMatchObject({ from: "2026-12-01", to: "2026-12-03", status: [], unit: null, tab: "explore" });
    expect(viewQuery(v, "2026-12-03")).toEqual({});
  });
  it("reads what another page links to and drops what it cannot read", () => {
    const v = readView({ status: "missing,partial,lost,missing", unit: "7", officer: "620001", event: "x" }, "2026-12-03");
    expect(v.status).toEqual(["missing", "partial"]);
    expect([v.unit, v.officer, v.event]).toEqual([7, "620001", null]);
    expect(viewQuery(v, "2026-12-03")).toEqual({ status: "missing,partial", unit: "7", officer: "620001" });
  });
  it("puts a reversed period the right way round", () => {
    expect(readView({ from: "2026-11-30", to: "2026-11-01" }, "2026-12-03")).toMatchObject({ from: "2026-11-01", to: "2026-11-30" });
  });
  it("knows today in the unit's zone, not the browser's", () => {
    expect(todayIn("Asia/Shanghai", new Date("2026-11-30T17:00:00Z"))).toBe("2026-12-01");
    expect(todayIn("UTC", new Date("2026-11-30T17:00:00Z"))).toBe("2026-11-30");
  });
  it("writes rates and durations as people read them", () => {
    expect([percent(0.875), percent(null), percent(1)]).toEqual(["87.5%", "—", "100%"]);
    expect([clock(240), clock(3903)]).toEqual(["4:00", "1:05:03"]);
  });
});

describe("the gap chart's geometry", () => {
  const lo = "2026-11-21T02:00:00Z";
  const hi = "2026-11-21T02:10:00Z";
  it("places a span on the window in percent, clipped to it", () => {
    expect(place("2026-11-21T02:00:00Z", "2026-11-21T02:04:00Z", lo, hi)).toEqual({ left: 0, width: 40 });
    expect(place("2026-11-21T01:50:00Z", "2026-11-21T02:01:00Z", lo, hi)).toEqual({ left: 0, width: 10 });
    expect(place("2026-11-21T02:05:00Z", "2026-11-21T02:05:00Z", lo, hi).width).toBeGreaterThan(0);
  });
  it("labels the axis at round times", () => {
    expect(ticks(lo, hi).map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(
      ["02:00", "02:02", "02:04", "02:06", "02:08", "02:10"]);
  });
});

import { describe, expect, it } from "vitest";
import { deltaText, mondayOf, percent, sundayAfter, trendDelta } from "./reportFigures";

describe("supervision pages", () => {
  it("shows rates as percentages, and nothing settled as a dash", () => {
    expect(percent(0.875)).toBe("87.5%");
    expect(percent(1)).toBe("100.0%");
    expect(percent(null)).toBe("—");
  });
  it("compares this week with the mean of the weeks before that had events", () => {
    expect(trendDelta([0.5, null, 0.7, 0.6, 0.8])).toBeCloseTo(0.2);
    expect(trendDelta([null, null, null, null, 0.8])).toBeNull();
    expect(trendDelta([0.5, 0.5, 0.5, 0.5, null])).toBeNull();
    expect(deltaText(0.2)).toBe("▲ 20.0");
    expect(deltaText(-0.125)).toBe("▼ 12.5");
    expect(deltaText(0)).toBe("= 0.0");
    expect(deltaText(null)).toBe("");
  });
  it("puts a day in its Monday-to-Sunday week", () => {
    expect(mondayOf("2026-11-18")).toBe("2026-11-16");
    expect(mondayOf("2026-11-16")).toBe("2026-11-16");
    expect(mondayOf("2026-11-22")).toBe("2026-11-16");
    expect(mondayOf("2026-03-01")).toBe("2026-02-23");
    expect(sundayAfter("2026-11-30")).toBe("2026-12-06");
  });
});

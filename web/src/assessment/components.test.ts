import { describe, expect, it } from "vitest";
import { nextMonthStart, percent } from "./components";

describe("assessment figures", () => {
  it("writes rates as percentages and a missing rate as a dash", () => {
    expect(percent(0.875)).toBe("87.5%");
    expect(percent(1)).toBe("100.0%");
    expect(percent(null)).toBe("–");
  });
  it("names the next month's first day across the year end", () => {
    expect(nextMonthStart("2026-12")).toBe("2027-01-01");
    expect(nextMonthStart("2026-03")).toBe("2026-04-01");
  });
});

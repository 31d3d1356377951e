import { describe, expect, it } from "vitest";
import { clockOf, isLow, watchedText } from "./format";

describe("watched time", () => {
  it("writes minutes and hours plainly", () => {
    expect(clockOf(30)).toBe("0:30");
    expect(clockOf(2400)).toBe("40:00");
    expect(clockOf(3723.9)).toBe("1:02:03");
  });
  it("shows 30 s of a 40-minute recording as 1% and as low", () => {
    expect(watchedText(30, 2400)).toBe("0:30 / 40:00 (1%)");
    expect(isLow(30, 2400)).toBe(true);
    expect(isLow(2300, 2400)).toBe(false);
    expect(watchedText(5, null)).toBe("0:05");
  });
});

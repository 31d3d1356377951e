import { describe, expect, it } from "vitest";
import { grantState, timeLeft, timeLeftText } from "./timeLeft";

const words = { d: "天", h: "小时", m: "分", s: "秒" };
const now = Date.parse("2026-12-03T08:00:00Z");

describe("time left on a grant", () => {
  it("shows the two largest units", () => {
    expect(timeLeftText(timeLeft("2026-12-05T11:30:00Z", now)!, words)).toBe("2天 3小时");
    expect(timeLeftText(timeLeft("2026-12-03T08:05:10Z", now)!, words)).toBe("5分 10秒");
    expect(timeLeftText(timeLeft("2026-12-03T08:00:00.400Z", now)!, words)).toBe("1秒");
  });

  it("is expired at and after the end, also for times without an offset (UTC)", () => {
    expect(timeLeft("2026-12-03T08:00:00Z", now)).toEqual({ state: "expired" });
    expect(timeLeft("2026-12-03T07:59:59", now)).toEqual({ state: "expired" });
    expect(timeLeft(null, now)).toBeNull();
    expect(grantState("approved", "2026-12-03T07:00:00+00:00", now)).toBe("expired");
    expect(grantState("approved", "2026-12-03T09:00:00+00:00", now)).toBe("approved");
    expect(grantState("pending", null, now)).toBe("pending");
  });
});

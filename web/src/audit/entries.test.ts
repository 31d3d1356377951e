import { describe, expect, it } from "vitest";
import zh from "../locales/zh-CN/audit.json";
import en from "../locales/en/audit.json";
import { ACTION_CODES, actionName, entryLink, nextDay, periodQuery, splitObject } from "./entries";

function lookup(messages: Record<string, unknown>) {
  const get = (key: string): unknown => key.split(".").slice(1).reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), messages);
  return { t: (k: string) => String(get(k)), te: (k: string) => typeof get(k) === "string" };
}

describe("audit action names", () => {
  it("has a plain name for every code the service writes, in both languages", () => {
    for (const messages of [zh, en]) {
      const { t, te } = lookup(messages);
      for (const code of ACTION_CODES) expect(actionName(code, t, te), code).not.toBe(code);
    }
    const { t, te } = lookup(zh);
    expect(actionName("recording.view", t, te)).toBe("播放录像");
  });

  it("shows an unknown or odd code as it is", () => {
    const { t, te } = lookup(zh);
    expect(actionName("drone.launch", t, te)).toBe("drone.launch");
    expect(actionName("recording", t, te)).toBe("recording");
    expect(actionName("a.b.c", t, te)).toBe("a.b.c");
  });
});

describe("audit entry links and periods", () => {
  it("links recordings and cases, nothing else", () => {
    expect(entryLink("recording", "12")).toBe("/recordings/12");
    expect(entryLink("case", "7")).toBe("/cases/7");
    expect(entryLink("user", "7")).toBeNull();
    expect(entryLink("recording", null)).toBeNull();
    expect(entryLink("recording", "../x")).toBeNull();
    expect(splitObject("recording:12")).toEqual({ type: "recording", id: "12" });
  });

  it("turns a day range into a half-open period in the unit's wall clock", () => {
    expect(periodQuery("2026-12-01", "2026-12-31")).toEqual({ start: "2026-12-01T00:00:00", end: "2027-01-01T00:00:00" });
    expect(periodQuery("2026-12-01", "")).toEqual({ start: "2026-12-01T00:00:00" });
    expect(periodQuery(null, null)).toEqual({});
    expect(nextDay("2028-02-28")).toBe("2028-02-29");
  });
});

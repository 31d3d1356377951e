import { describe, expect, it } from "vitest";
import { formatBytes, groupFingerprint, progressPercent, stageStep } from "./cases";

describe("case workflow and export helpers", () => {
  it("places every stage on the stage bar; 退办整改 sits on 送审, marked sent back", () => {
    expect(stageStep("accepted")).toEqual({ index: 0, returned: false });
    expect(stageStep("review")).toEqual({ index: 4, returned: false });
    expect(stageStep("returned")).toEqual({ index: 4, returned: true });
    expect(stageStep("archived")).toEqual({ index: 5, returned: false });
  });
  it("never shows a finished bar before the download has ended, whatever the estimate", () => {
    expect(progressPercent(50, 100, false)).toBe(50);
    expect(progressPercent(150, 100, false)).toBe(99);
    expect(progressPercent(150, 100, true)).toBe(100);
    expect(progressPercent(10, null, false)).toBe(0);
  });
  it("reads sizes and fingerprints as people do", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(3 * 1024 * 1024 * 1024)).toBe("3.0 GB");
    expect(groupFingerprint("0123456789abcdef")).toBe("0123 4567 89ab cdef");
  });
});

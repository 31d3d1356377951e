import { describe, expect, it } from "vitest";
import {
  actionFor, clamp, clipReady, formatOffset, frameAtTimestamp, frameOf, lastFrame, markAt, nextSpeed, offsetOfClock,
  peaks, setIn, setOut, startRequest, stepFrame, stripTile, timeOfFrame,
} from "./marks";

describe("seconds and frames", () => {
  it("counts frames as the API does: floor(seconds × fps)", () => {
    expect(frameOf(0, 25)).toBe(0);
    expect(frameOf(2.0, 25)).toBe(50);
    expect(frameOf(0.04 * 3, 25)).toBe(3); // 0.12 × 25 is 2.9999… in floating point
    expect(frameOf(1.0, 15)).toBe(15);
    expect(frameOf(2.5, 15)).toBe(37);
    expect(frameOf(1 / 29.97, 29.97)).toBe(1);
    expect(frameOf(-1, 25)).toBe(0);
    expect(frameOf(1, 0)).toBe(0);
  });

  it("names a presented frame by its own timestamp, even rounded down by the container", () => {
    expect(frameAtTimestamp(0.066666, 15)).toBe(1);
    expect(frameAtTimestamp(1.0, 15)).toBe(15);
  });

  it("seeks to the middle of a frame, which counts back to the same frame", () => {
    for (const fps of [15, 25, 29.97, 30, 60]) {
      for (const f of [0, 1, 2, 59, 1000]) expect(frameOf(timeOfFrame(f, fps), fps)).toBe(f);
    }
  });

  it("steps one frame and stays inside the recording", () => {
    expect(stepFrame(10, 1, 6, 15)).toBe(11);
    expect(stepFrame(10, -1, 6, 15)).toBe(9);
    expect(stepFrame(0, -1, 6, 15)).toBe(0);
    expect(lastFrame(6, 15)).toBe(89);
    expect(stepFrame(89, 1, 6, 15)).toBe(89);
    expect(stepFrame(5, 1, null, 15)).toBe(6);
  });

  it("clamps times to the recording", () => {
    expect(clamp(-3, 6)).toBe(0);
    expect(clamp(7, 6)).toBe(6);
    expect(clamp(Number.NaN, 6)).toBe(0);
    expect(clamp(3, null)).toBe(3);
  });
});

describe("in and out marks", () => {
  it("keeps the frame on screen when it agrees with the time, and the time to the millisecond", () => {
    expect(markAt(1.0333333, 15, 15, 6)).toEqual({ seconds: 1.033, frame: 15 });
    expect(markAt(1.0333333, 14, 15, 6)).toEqual({ seconds: 1.033, frame: 14 }); // a neighbour: timestamps round
    expect(markAt(1.0333333, 40, 15, 6)).toEqual({ seconds: 1.033, frame: 15 }); // stale: computed
    expect(markAt(9, null, 15, 6)).toEqual({ seconds: 6, frame: 90 });
  });

  it("always make a clip that runs forward", () => {
    const a = { seconds: 1, frame: 15 }, b = { seconds: 3, frame: 45 }, c = { seconds: 4, frame: 60 };
    let m = setIn({ in: null, out: null }, a);
    expect(clipReady(m)).toBe(false);
    m = setOut(m, b);
    expect(clipReady(m)).toBe(true);
    expect(setIn(m, c)).toEqual({ in: c, out: null }); // in after out drops the out-mark
    expect(setOut(m, { seconds: 0.5, frame: 7 })).toEqual({ in: null, out: { seconds: 0.5, frame: 7 } });
    expect(clipReady(setOut(setIn(m, a), a))).toBe(false); // in == out is no clip
  });
});

describe("keys and speeds", () => {
  it("maps J/K/L, space, arrows, I and O", () => {
    expect(actionFor(" ")).toBe("toggle");
    expect(actionFor("k")).toBe("pause");
    expect(actionFor("L")).toBe("forward");
    expect(actionFor("j")).toBe("back");
    expect(actionFor("ArrowRight")).toBe("frameNext");
    expect(actionFor("ArrowLeft")).toBe("framePrev");
    expect(actionFor("ArrowUp")).toBe("faster");
    expect(actionFor("ArrowDown")).toBe("slower");
    expect(actionFor("i")).toBe("markIn");
    expect(actionFor("O")).toBe("markOut");
    expect(actionFor("x")).toBeNull();
  });

  it("speeds run from 0.25× to 4×", () => {
    expect(nextSpeed(1, 1)).toBe(1.5);
    expect(nextSpeed(4, 1)).toBe(4);
    expect(nextSpeed(1, -1)).toBe(0.5);
    expect(nextSpeed(0.25, -1)).toBe(0.25);
    expect(nextSpeed(1.2, 1)).toBe(1.5);
  });
});

describe("links and clock times", () => {
  it("reads ?t= and ?clip=", () => {
    expect(startRequest({ t: "2.5" })).toEqual({ t: 2.5, clip: null });
    expect(startRequest({ clip: "7" })).toEqual({ t: null, clip: 7 });
    expect(startRequest({ t: "-1", clip: "x" })).toEqual({ t: null, clip: null });
    expect(startRequest({})).toEqual({ t: null, clip: null });
  });

  it("maps a clock time into the recording through its corrected start", () => {
    const start = Date.UTC(2026, 10, 20, 2, 0, 0);
    expect(offsetOfClock(start + 2500, start, 6)).toBe(2.5);
    expect(offsetOfClock(start - 1000, start, 6)).toBeNull();
    expect(offsetOfClock(start + 7000, start, 6)).toBeNull();
  });

  it("formats offsets and picks strip tiles", () => {
    expect(formatOffset(62.3456)).toBe("01:02.346");
    expect(formatOffset(3725)).toBe("1:02:05.000");
    expect(stripTile(0, 6, 10)).toBe(0);
    expect(stripTile(5.99, 6, 10)).toBe(9);
    expect(stripTile(6, 6, 10)).toBe(9);
  });

  it("draws peaks scaled to the loudest", () => {
    expect(peaks([0, 0.5, -1, 0.25], 2)).toEqual([0.5, 1]);
    expect(peaks([], 4)).toEqual([]);
  });
});

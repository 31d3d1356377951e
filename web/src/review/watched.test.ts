import { describe, expect, it } from "vitest";
import { WatchTracker, mergeRanges, speeds, watchedSeconds } from "./watched";

describe("mergeRanges", () => {
  it("joins overlapping and touching ranges at one speed", () => {
    expect(mergeRanges([{ start: 5, end: 8, rate: 1 }, { start: 0, end: 3, rate: 1 }, { start: 2, end: 5.02, rate: 1 }]))
      .toEqual([{ start: 0, end: 8, rate: 1 }]);
  });
  it("keeps ranges apart across a gap or a different speed, and drops empty ones", () => {
    expect(mergeRanges([{ start: 0, end: 2, rate: 1 }, { start: 3, end: 4, rate: 1 }, { start: 1, end: 5, rate: 2 },
      { start: 6, end: 6, rate: 1 }])).toEqual([
      { start: 0, end: 2, rate: 1 }, { start: 1, end: 5, rate: 2 }, { start: 3, end: 4, rate: 1 }]);
  });
  it("sending the same ranges again changes nothing", () => {
    const once = mergeRanges([{ start: 0, end: 2, rate: 1 }, { start: 4, end: 6, rate: 1 }]);
    expect(mergeRanges([...once, ...once])).toEqual(once);
  });
});

describe("watchedSeconds and speeds", () => {
  it("counts a second seen twice (at two speeds) once", () => {
    const r = [{ start: 0, end: 10, rate: 1 }, { start: 5, end: 20, rate: 2 }, { start: 30, end: 31, rate: 1 }];
    expect(watchedSeconds(r)).toBe(21);
    expect(speeds(r)).toEqual([{ rate: 1, seconds: 11 }, { rate: 2, seconds: 15 }]);
  });
});

describe("WatchTracker", () => {
  it("builds ranges from play, progress and pause", () => {
    const t = new WatchTracker();
    t.play(0, 1);
    for (const s of [0.25, 0.5, 0.75, 1.0]) t.progress(s);
    t.pause(1.1);
    expect(t.ranges()).toEqual([{ start: 0, end: 1.1, rate: 1 }]);
  });
  it("a seek starts a new range and skips what lies between", () => {
    const t = new WatchTracker();
    t.play(0, 1);
    t.progress(1);
    t.seek(30, true, 1);
    t.progress(30.5);
    t.progress(31);
    t.pause(31.2);
    expect(t.ranges()).toEqual([{ start: 0, end: 1, rate: 1 }, { start: 30, end: 31.2, rate: 1 }]);
  });
  it("a speed change splits the range by rate", () => {
    const t = new WatchTracker();
    t.play(0, 1);
    t.progress(2);
    t.rate(2, 4, true);
    t.progress(6);
    t.pause(6);
    expect(t.ranges()).toEqual([{ start: 0, end: 2, rate: 1 }, { start: 2, end: 6, rate: 4 }]);
  });
  it("a seek while paused watches nothing; the range being played counts before pausing", () => {
    const t = new WatchTracker();
    t.seek(10, false, 1);
    expect(t.ranges()).toEqual([]);
    t.play(10, 1);
    t.progress(11);
    expect(t.ranges()).toEqual([{ start: 10, end: 11, rate: 1 }]);
  });
  it("a jump without a seek event is not counted as watched", () => {
    const t = new WatchTracker();
    t.play(0, 1);
    t.progress(1);
    t.progress(100);
    t.progress(100.5);
    t.pause(100.5);
    expect(t.ranges()).toEqual([{ start: 0, end: 1, rate: 1 }, { start: 100, end: 100.5, rate: 1 }]);
  });
});

/** Which time ranges of a recording the reviewer actually watched, and at what speed.
 *
 * The tracker follows the <video> element's play, pause, timeupdate, seeking, ratechange and
 * ended events: playing opens a range [start, end, rate], progress extends it, a seek or a speed
 * change closes it and opens the next one. The review page sends the ranges with the verdict and
 * now and then while watching (the server keeps their union, so sending twice changes nothing). */
import { onBeforeUnmount, ref, watch, type Ref } from "vue";

export type Range = { start: number; end: number; rate: number };

const TOUCH = 0.05; // ranges this close at the same speed are one
const MAX_STEP = 2; // wall seconds between two timeupdate events before a jump counts as a seek

/** Overlapping or touching ranges at the same speed become one; different speeds stay apart. */
export function mergeRanges(ranges: Range[]): Range[] {
  const out: Range[] = [];
  const sorted = [...ranges].filter((r) => r.end > r.start)
    .sort((a, b) => a.rate - b.rate || a.start - b.start || a.end - b.end);
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.rate === r.rate && r.start <= last.end + TOUCH) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Seconds seen at least once, whatever the speed. */
export function watchedSeconds(ranges: Range[]): number {
  let total = 0;
  let reach = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.end <= reach) continue;
    total += r.end - Math.max(r.start, reach);
    reach = r.end;
  }
  return total;
}

/** The speeds used, each with the seconds watched at it, fastest last. */
export function speeds(ranges: Range[]): { rate: number; seconds: number }[] {
  const by = new Map<number, number>();
  for (const r of ranges) by.set(r.rate, (by.get(r.rate) ?? 0) + (r.end - r.start));
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([rate, seconds]) => ({ rate, seconds }));
}

/** The event-by-event state: pure, so the tests drive it without a browser. */
export class WatchTracker {
  private open: Range | null = null;
  private done: Range[] = [];

  play(time: number, rate: number): void {
    this.close();
    this.open = { start: time, end: time, rate };
  }

  /** Playback reached `time`; a step back or a long jump without a seek event starts a new range. */
  progress(time: number): void {
    const o = this.open;
    if (!o) return;
    if (time >= o.end && time - o.end <= MAX_STEP * o.rate) o.end = time;
    else if (time < o.end - TOUCH || time - o.end > MAX_STEP * o.rate) {
      this.close();
      this.open = { start: time, end: time, rate: o.rate };
    }
  }

  /** A seek: what was played up to here is kept; playing goes on from the target. */
  seek(target: number, playing: boolean, rate: number): void {
    this.close();
    if (playing) this.open = { start: target, end: target, rate };
  }

  rate(time: number, rate: number, playing: boolean): void {
    this.progress(time);
    this.close();
    if (playing) this.open = { start: time, end: time, rate };
  }

  pause(time: number): void {
    this.progress(time);
    this.close();
  }

  /** Everything watched so far, the range being played included. */
  ranges(): Range[] {
    return mergeRanges(this.open ? [...this.done, { ...this.open }] : this.done);
  }

  private close(): void {
    if (this.open && this.open.end > this.open.start) this.done = mergeRanges([...this.done, this.open]);
    this.open = null;
  }
}

/** Follow a video element's events; `ranges` is what was watched on this page so far. */
export function useWatched(media: Ref<HTMLVideoElement | null | undefined>) {
  const tracker = new WatchTracker();
  const ranges = ref<Range[]>([]);
  const refresh = () => { ranges.value = tracker.ranges(); };
  const handlers: Record<string, (e: Event) => void> = {
    play: () => { const v = media.value!; tracker.play(v.currentTime, v.playbackRate); },
    timeupdate: () => { const v = media.value!; if (!v.paused && !v.seeking) { tracker.progress(v.currentTime); refresh(); } },
    seeking: () => { const v = media.value!; tracker.seek(v.currentTime, !v.paused, v.playbackRate); refresh(); },
    ratechange: () => { const v = media.value!; tracker.rate(v.currentTime, v.playbackRate, !v.paused); refresh(); },
    pause: () => { tracker.pause(media.value!.currentTime); refresh(); },
    ended: () => { tracker.pause(media.value!.currentTime); refresh(); },
  };
  let attached: HTMLVideoElement | null = null;
  function detach() {
    if (attached) for (const [name, fn] of Object.entries(handlers)) attached.removeEventListener(name, fn);
    attached = null;
  }
  watch(media, (v) => {
    detach();
    if (!v) return;
    attached = v;
    for (const [name, fn] of Object.entries(handlers)) v.addEventListener(name, fn);
    if (!v.paused) tracker.play(v.currentTime, v.playbackRate);
  }, { immediate: true });
  onBeforeUnmount(detach);
  return { ranges, current: () => tracker.ranges() };
}

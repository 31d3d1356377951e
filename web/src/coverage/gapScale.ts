/** The gap chart's geometry: instants on the event's window as x positions (0–100 %), and a few
 * round tick times to label the axis. Pure functions, so the chart's arithmetic is unit-tested. */

export interface Bar {
  left: number; // % of the window
  width: number; // %, at least a sliver so a one-second clip stays visible
}

export function ms(value: string): number {
  return new Date(value).getTime();
}

/** Where [start, end] lies on the window [lo, hi], in percent, clipped to it. */
export function place(start: string, end: string, lo: string, hi: string): Bar {
  const a = ms(lo);
  const span = Math.max(ms(hi) - a, 1);
  const left = Math.min(Math.max((ms(start) - a) / span, 0), 1) * 100;
  const right = Math.min(Math.max((ms(end) - a) / span, 0), 1) * 100;
  return { left, width: Math.max(right - left, 0.4) };
}

const STEPS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].map((s) => s * 1000);

/** Tick instants (ms) at a round step that gives at most `most` ticks inside [lo, hi]. */
export function ticks(lo: string, hi: string, most = 6): number[] {
  const a = ms(lo);
  const b = ms(hi);
  const step = STEPS.find((s) => (b - a) / s <= most) ?? STEPS[STEPS.length - 1];
  const out: number[] = [];
  for (let t = Math.ceil(a / step) * step; t <= b; t += step) out.push(t);
  return out;
}

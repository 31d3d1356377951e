/** The review player's logic with no DOM: frames and seconds, in/out marks, speeds, keys and
 * clip links. The API stores each mark with the frame it falls on (floor(seconds × frame rate),
 * evidence/cases/marks.py), so the two sides count frames the same way. */

export const SPEEDS = [0.25, 0.5, 1, 1.5, 2, 4] as const;
export const DEFAULT_FPS = 30;
const EPSILON = 1e-6;

/** The frame a time falls on: floor(seconds × fps), as the API counts. */
export function frameOf(seconds: number, fps: number): number {
  if (!(fps > 0) || !Number.isFinite(seconds)) return 0;
  return Math.max(0, Math.floor(seconds * fps + EPSILON));
}

/** The frame a presented frame's own timestamp (requestVideoFrameCallback mediaTime) names:
 * that timestamp sits on the frame's start, rounded by the container, so round rather than floor. */
export function frameAtTimestamp(mediaTime: number, fps: number): number {
  if (!(fps > 0) || !Number.isFinite(mediaTime)) return 0;
  return Math.max(0, Math.round(mediaTime * fps));
}

/** Where to seek to show a frame: its middle, so rounding either way stays on it. */
export function timeOfFrame(frame: number, fps: number): number {
  return (Math.max(0, frame) + 0.5) / fps;
}

export function clamp(seconds: number, duration: number | null | undefined): number {
  if (!Number.isFinite(seconds) || seconds < 0) return 0;
  if (duration && Number.isFinite(duration) && seconds > duration) return duration;
  return seconds;
}

/** The last frame of a recording (frames count from 0). */
export function lastFrame(duration: number | null | undefined, fps: number): number | null {
  if (!duration || !(fps > 0)) return null;
  return Math.max(0, Math.ceil(duration * fps - EPSILON) - 1);
}

/** One frame forward or back from the one shown, kept inside the recording. */
export function stepFrame(shown: number, delta: number, duration: number | null | undefined, fps: number): number {
  const last = lastFrame(duration, fps);
  const next = Math.max(0, shown + delta);
  return last === null ? next : Math.min(last, next);
}

export interface Mark {
  seconds: number; // from the recording's start, to the millisecond
  frame: number; // the frame shown when it was set
}

export interface Marks {
  in: Mark | null;
  out: Mark | null;
}

export function markAt(seconds: number, shownFrame: number | null, fps: number, duration?: number | null): Mark {
  const s = Math.round(clamp(seconds, duration) * 1000) / 1000;
  const computed = frameOf(s, fps);
  // The frame on screen wins when it is this time's frame or its neighbour (timestamps round).
  const frame = shownFrame !== null && Math.abs(shownFrame - computed) <= 1 ? shownFrame : computed;
  return { seconds: s, frame };
}

/** Setting the in-mark at or after the out-mark drops the out-mark, and the other way round:
 * a clip always runs forward (in < out). */
export function setIn(marks: Marks, mark: Mark): Marks {
  return { in: mark, out: marks.out && marks.out.seconds > mark.seconds ? marks.out : null };
}

export function setOut(marks: Marks, mark: Mark): Marks {
  return { in: marks.in && marks.in.seconds < mark.seconds ? marks.in : null, out: mark };
}

export function clipReady(marks: Marks): boolean {
  return !!marks.in && !!marks.out && marks.in.seconds < marks.out.seconds;
}

export type Action =
  | "toggle" | "pause" | "forward" | "back" | "frameNext" | "framePrev"
  | "markIn" | "markOut" | "slower" | "faster";

/** The player's keys: J/K/L (back 5 s, pause, play and speed up), space (play/pause), arrows
 * (←/→ one frame, ↑/↓ speed), I and O (in and out marks). Keys typed into a field are not ours. */
export function actionFor(key: string): Action | null {
  switch (key) {
    case " ": case "Spacebar": return "toggle";
    case "k": case "K": return "pause";
    case "l": case "L": return "forward";
    case "j": case "J": return "back";
    case "ArrowRight": case ".": return "frameNext";
    case "ArrowLeft": case ",": return "framePrev";
    case "ArrowUp": return "faster";
    case "ArrowDown": return "slower";
    case "i": case "I": return "markIn";
    case "o": case "O": return "markOut";
    default: return null;
  }
}

/** The next speed up (L pressed while playing, ↑) or down (↓), within 0.25× to 4×. */
export function nextSpeed(current: number, direction: 1 | -1): number {
  const i = SPEEDS.findIndex((s) => s >= current - 1e-9);
  const at = i < 0 ? SPEEDS.length - 1 : i;
  const exact = SPEEDS[at] === current;
  const to = direction > 0 ? (exact ? at + 1 : at) : at - 1;
  return SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, to))];
}

/** Where a link asks the player to start: ?t=12.5 (seconds), or ?clip=<attachment id>. */
export function startRequest(query: Record<string, unknown>): { t: number | null; clip: number | null } {
  const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  const t = Number(one(query.t));
  const clip = Number(one(query.clip));
  return {
    t: one(query.t) !== undefined && Number.isFinite(t) && t >= 0 ? t : null,
    clip: one(query.clip) !== undefined && Number.isInteger(clip) && clip > 0 ? clip : null,
  };
}

/** Seconds into the recording of a clock time (UTC ms), from its corrected start (UTC ms);
 * null when the time is not within the recording. */
export function offsetOfClock(clockMs: number, startMs: number, duration: number | null | undefined): number | null {
  const s = (clockMs - startMs) / 1000;
  if (!Number.isFinite(s) || s < 0) return null;
  if (duration && s > duration) return null;
  return s;
}

/** "01:02.345" (or "1:01:02.345" past an hour). */
export function formatOffset(seconds: number): string {
  const ms = Math.round(Math.max(0, seconds) * 1000);
  const h = Math.floor(ms / 3600000);
  const m = Math.floor((ms % 3600000) / 60000);
  const s = Math.floor((ms % 60000) / 1000);
  const rest = String(ms % 1000).padStart(3, "0");
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}.${rest}` : `${mm}:${ss}.${rest}`;
}

/** Which tile of the thumbnail strip shows a time: the strip holds `count` frames taken at
 * duration × (i + 0.5) / count (workers/media/thumbs.py). */
export function stripTile(seconds: number, duration: number, count: number): number {
  if (!(count > 0) || !(duration > 0)) return 0;
  return Math.min(count - 1, Math.max(0, Math.floor((seconds / duration) * count)));
}

/** Peaks of mono samples for a waveform: `bars` maxima of |sample|, scaled to 0..1. */
export function peaks(samples: ArrayLike<number>, bars: number): number[] {
  const out: number[] = [];
  if (!samples.length || bars <= 0) return out;
  const per = samples.length / bars;
  let top = 0;
  for (let b = 0; b < bars; b++) {
    let m = 0;
    const end = Math.min(samples.length, Math.floor((b + 1) * per));
    for (let i = Math.floor(b * per); i < end; i++) m = Math.max(m, Math.abs(samples[i]));
    out.push(m);
    top = Math.max(top, m);
  }
  return top > 0 ? out.map((v) => v / top) : out;
}

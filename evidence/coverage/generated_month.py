"""A generated brigade month: units, officers, cameras and their assignments, enforcement events
and the recordings that cover, partly cover or miss them, reproducible from a seed.

One generator for the benchmarks (bench_coverage, bench_supervision) and for `evidence
demo-month`, which fills a single box so a person can try the supervisor pages. The month is
plausible rather than real: accidents are filmed well, roadside enforcement least (about 70 %
covered, 15 % partial, 15 % missing overall), teams of two or three officers, 10 % of cameras
with a clock a little off, a few uploads later than the 24-hour rule. The recordings are rows
only: they have no media, so nothing of them can be played (the README says so).

Every event also carries what the generator meant for it (`Month.expected`): the status of the
event and of each of its officers, so a test can check the pages against the plan instead of
against the same code that drew them."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from evidence.coverage.ledger_parse import ROADSIDE_BY_DEFAULT
from evidence.coverage.rules import DEFAULT_MINUTES

TZ = ZoneInfo("Asia/Shanghai")
FULL_EVENTS = 300_000
FULL_RECORDINGS = 600_000
DAYS = 30

# Event types: share of events, duration range in minutes (ledger end − start).
TYPES = [("ticket", 0.40, (5, 12)), ("check", 0.25, (5, 15)), ("dispatch", 0.12, (10, 45)),
         ("accident", 0.08, (20, 60)), ("vehicle_seizure", 0.05, (10, 30)), ("license_seizure", 0.04, (10, 20)),
         ("admin_measure", 0.03, (10, 30)), ("emergency", 0.01, (20, 60)), ("other", 0.02, (5, 30))]
# Planned footage per event kind (covered, partial, missing): accidents are recorded well,
# roadside enforcement least (the gap the brigade wants to see); overall about 70/15/15.
PLAN = {"accident": (0.92, 0.05), "roadside": (0.651, 0.169), "other": (0.80, 0.12)}
DUTY_START_H, DUTY_END_H = 6, 24  # local duty hours in which events start and end
MIN_GAP = 270  # seconds between two events of one team (> 60 s slack + 60 s clock drift + 120 s tolerance)
NOT_A_PASSWORD = "generated-month-no-sign-in"  # officers of a generated month cannot sign in
NO_MEDIA = "generated month: a recording row without media (evidence demo-month)"


@dataclass
class IdBase:
    """Ids already taken in each table: the generated rows are numbered after them."""
    unit: int = 0
    user: int = 0
    device: int = 0
    assignment: int = 0
    event: int = 0
    event_officer: int = 0
    recording: int = 0


@dataclass
class Span:
    """What one recorder filmed for one event: becomes 1..n consecutive files a second apart."""
    officer: int  # index into officers
    device: int  # index into devices
    start: float
    end: float
    upload_delay: float
    segments: int = 1


@dataclass
class Month:
    start: datetime  # local midnight of the first day
    end: datetime  # local midnight after the last day
    base: IdBase = field(default_factory=IdBase)
    units: list[dict] = field(default_factory=list)
    squadrons: list[int] = field(default_factory=list)  # unit ids of the 中队
    officers: list[dict] = field(default_factory=list)
    devices: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)  # EVENT_COLS order
    event_officers: list[tuple] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    # event id (the ledger's, e.g. JQ2026110100001) → (planned status, {police id: planned status})
    expected: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    plan: dict[str, int] = field(default_factory=dict)
    overfull_team_days: int = 0
    recordings: int = 0
    created_at: datetime | None = None  # when the rows were generated: uploads never come later


def _pick_type(rng: random.Random) -> tuple[str, tuple[int, int]]:
    x, acc = rng.random(), 0.0
    for name, share, minutes in TYPES:
        acc += share
        if x < acc:
            return name, minutes
    return TYPES[-1][0], TYPES[-1][2]


def month_days(month: str, today: date) -> tuple[date, int]:
    """First day and number of days of a calendar month (YYYY-MM) that are over by `today`."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, e.g. 2026-11 (got {month!r})") from None
    days = min(calendar.monthrange(year, mon)[1], (today - first).days)
    if days < 1:
        raise ValueError(f"{month} has no day that is over yet: pick a month before {today:%Y-%m-%d}")
    return first, days


def generate(scale: float, n_officers: int, seed: int = 20261129, *, first: date | None = None, days: int = DAYS,
             brigades: int = 5, squadrons: int = 5, prefix: str = "", tz: ZoneInfo = TZ,
             base: IdBase | None = None) -> Month:
    """The month from `first` (default: the 30 days that ended 5 days ago, nothing pending) for
    `days` days: `scale` × 300,000 events and × 600,000 recordings over `n_officers` officers
    in 1 支队 → `brigades` 大队 → `squadrons` 中队 each. `prefix` starts every code, 警号, serial
    and event id, so a generated month can sit beside other data; `base` numbers the rows after
    ids already taken."""
    rng = random.Random(seed)
    base = base or IdBase()
    n_events = round(FULL_EVENTS * scale)
    n_recordings = round(FULL_RECORDINGS * scale)
    if first is None:
        first = datetime.now(tz).date() - timedelta(days=days + 5)
    now = datetime.now(timezone.utc)
    m = Month(datetime.combine(first, datetime.min.time(), tz),
              datetime.combine(first + timedelta(days=days), datetime.min.time(), tz), base, created_at=now)

    # Unit tree: 1 支队, `brigades` 大队, `squadrons` 中队 in each.
    top = base.unit + 1
    m.units.append({"id": top, "code": f"{prefix}ZD", "name": "交警支队", "level": "detachment", "parent_id": None,
                    "created_at": now})
    brigade_of: dict[int, int] = {}  # 中队 id → index of its 大队
    for b in range(brigades):
        bid = top + 1 + b
        m.units.append({"id": bid, "code": f"{prefix}DD{b + 1}", "name": f"第{b + 1}大队", "level": "brigade",
                        "parent_id": top, "created_at": now})
    for b in range(brigades):
        for s in range(squadrons):
            sid = top + 1 + brigades + b * squadrons + s
            m.units.append({"id": sid, "code": f"{prefix}DD{b + 1}-ZD{s + 1}", "name": f"第{b + 1}大队{s + 1}中队",
                            "level": "squadron", "parent_id": top + 1 + b, "created_at": now})
            m.squadrons.append(sid)
            brigade_of[sid] = b
    for i in range(n_officers):
        unit = m.squadrons[i % len(m.squadrons)]
        m.officers.append({"id": base.user + i + 1, "police_id": f"{prefix}{100001 + i}", "name": f"警员{i + 1:04d}",
                           "unit_id": unit, "role": "officer", "password_hash": NOT_A_PASSWORD, "active": True,
                           "created_at": now})
        m.devices.append({"id": base.device + i + 1, "serial": f"{prefix}DSJ{i + 1:06d}", "model": "DSJ-V9",
                          "unit_id": unit, "created_at": now})
        m.assignments.append({"id": base.assignment + i + 1, "device_id": base.device + i + 1,
                              "user_id": base.user + i + 1, "assigned_from": m.start - timedelta(days=1),
                              "assigned_to": None})
    for b in range(brigades):  # two shared (pool) cameras per 大队
        for k in range(2):
            m.devices.append({"id": base.device + len(m.devices) + 1, "serial": f"{prefix}DSJPOOL{b + 1}{k + 1}",
                              "model": "DSJ-V9", "unit_id": top + 1 + b, "created_at": now})
    drift = [0.0] * len(m.devices)  # 10 % of cameras have a clock off by 5..60 s
    for d in range(len(m.devices)):
        if rng.random() < 0.10:
            drift[d] = rng.choice((-1, 1)) * rng.uniform(5, 60)

    by_unit: dict[int, list[int]] = {u: [] for u in m.squadrons}
    for i, o in enumerate(m.officers):
        by_unit[o["unit_id"]].append(i)

    per_day = [n_events // days + (1 if d < n_events % days else 0) for d in range(days)]
    duty = (DUTY_END_H - DUTY_START_H) * 3600
    eid, eo_id = base.event, base.event_officer
    plan = {"covered": 0, "partial": 0, "missing": 0}
    covered_spans: list[int] = []
    for day in range(days):
        day_start = (m.start + timedelta(days=day)).timestamp() + DUTY_START_H * 3600
        local_day = (m.start + timedelta(days=day)).strftime("%Y%m%d")
        # Patrol teams formed anew each day inside each 中队: two of 3 officers, the rest pairs
        # (with 500 officers and 300,000 events a team has ~44 events a day; smaller teams would
        # not fit them into the duty hours without overlapping).
        teams = []
        for unit in m.squadrons:
            members = by_unit[unit][:]
            rng.shuffle(members)
            threes = 0
            while members:
                if (threes < 2 and len(members) >= 5) or len(members) == 3:
                    size, threes = 3, threes + 1
                else:
                    size = 2 if len(members) >= 2 else 1
                teams.append(members[:size])
                members = members[size:]
        if not teams:
            break
        counts = [per_day[day] // len(teams)] * len(teams)
        for k in rng.sample(range(len(teams)), per_day[day] % len(teams)):
            counts[k] += 1
        seq = 0
        for team, n in zip(teams, counts):
            if n == 0:
                continue
            specs = []
            for _ in range(n):
                etype, (lo_min, hi_min) = _pick_type(rng)
                dur = rng.uniform(lo_min, hi_min) * 60
                has_end = rng.random() >= 0.10
                win = dur if has_end else DEFAULT_MINUTES[etype] * 60
                specs.append((etype, dur, has_end, win))
            total = sum(s[3] for s in specs)
            gap = MIN_GAP
            if total + gap * (n + 1) > duty:
                m.overfull_team_days += 1
                gap = max(0.0, (duty - total) / (n + 1))
            free = max(0.0, duty - total - gap * (n + 1))
            cuts = sorted(rng.random() * free for _ in range(n))
            t_used = 0.0
            for k, (etype, dur, has_end, win) in enumerate(specs):
                start = day_start + cuts[k] + gap * (k + 1) + t_used
                t_used += win
                size = rng.choices((1, 2, 3), (0.40, 0.45, 0.15))[0]
                people = rng.sample(team, min(size, len(team)))
                lead = people[0]
                eid += 1
                seq += 1
                roadside = etype in ROADSIDE_BY_DEFAULT
                started = datetime.fromtimestamp(start, timezone.utc)
                ended = datetime.fromtimestamp(start + dur, timezone.utc) if has_end else None
                case_no = f"{prefix}SG{local_day}{seq:05d}" if etype == "accident" else None
                ledger_id = f"{prefix}JQ{local_day}{seq:06d}"
                m.events.append((eid, ledger_id, etype, started, ended,
                                 f"{rng.choice('东南西北中')}环路{rng.randint(1, 999)}号", case_no, roadside,
                                 m.officers[lead]["unit_id"], ";".join(m.officers[p]["police_id"] for p in people),
                                 now, now))
                for p in people:
                    eo_id += 1
                    m.event_officers.append((eo_id, eid, m.officers[p]["police_id"], m.officers[p]["id"]))
                officers = {m.officers[p]["police_id"]: "missing" for p in people}
                kind = "accident" if etype == "accident" else "roadside" if roadside else "other"
                p_cov, p_part = PLAN[kind]
                x = rng.random()
                lo, hi = start, start + win
                if x < p_cov:
                    plan["covered"] += 1
                    status = "covered"
                    for j, p in enumerate(people):
                        if j > 0 and rng.random() >= 0.6:
                            continue  # not every officer of an event films it
                        dev = p
                        if rng.random() < 0.03:  # a pool camera of the 大队
                            dev = n_officers + 2 * brigade_of[m.officers[p]["unit_id"]] + rng.randint(0, 1)
                        s = lo - rng.uniform(0, 60) + drift[dev]
                        e = hi + rng.uniform(0, 60) + drift[dev]
                        covered_spans.append(len(m.spans))
                        m.spans.append(Span(p, dev, s, e, _upload_delay(rng)))
                        officers[m.officers[p]["police_id"]] = "covered"
                elif x < p_cov + p_part:
                    plan["partial"] += 1
                    status = "partial"
                    frac = rng.uniform(0.2, 0.7)
                    length = win * frac
                    s = lo + rng.uniform(0, win - length)
                    m.spans.append(Span(lead, lead, s + drift[lead], s + length + drift[lead], _upload_delay(rng)))
                    officers[m.officers[lead]["police_id"]] = "partial"
                else:
                    plan["missing"] += 1
                    status = "missing"
                m.expected[ledger_id] = (status, officers)
    m.plan = plan
    # Camera segments: some cameras split a long take into files a second apart. Spread the
    # remaining file budget over 40 % of the covered spans so the recording count hits the target.
    extra = n_recordings - len(m.spans)
    splittable = [i for i in covered_spans if rng.random() < 0.4]
    if extra > 0 and splittable:
        for _ in range(extra):
            m.spans[rng.choice(splittable)].segments += 1
    m.recordings = sum(s.segments for s in m.spans)
    return m


def _upload_delay(rng: random.Random) -> float:
    """Seconds from the end of the take to the upload: mostly within hours, some late (> 24 h)."""
    if rng.random() < 0.04:
        return rng.uniform(26, 96) * 3600
    return rng.uniform(0.5, 10) * 3600


REC_COLS = ["id", "sha256", "size_bytes", "media_kind", "original_filename", "object_key", "device_serial",
            "device_id", "declared_police_id", "officer_id", "officer_source", "unit_id", "started_at_device",
            "started_at", "clock_offset_seconds", "time_source", "important", "docked_at", "uploaded_at",
            "verified_at", "retain_until", "status", "status_reason", "created_at", "processing_state",
            "processing_attempts", "processed_at", "container", "video_codec", "audio_codec", "width", "height",
            "duration_seconds", "frame_rate", "ended_at", "proxy_key", "proxy_kind", "proxy_method", "poster_key", "processing_error"]
EVENT_COLS = ["id", "event_id", "event_type", "started_at", "ended_at", "location", "case_no", "roadside", "unit_id",
              "police_ids", "imported_at", "updated_at"]
EO_COLS = ["id", "event_id", "police_id", "user_id"]


def recording_rows(m: Month, rng: random.Random, tz: ZoneInfo = TZ, playable: bool = True):
    """Every recording as a tuple in REC_COLS order, span by span (files a second apart). An
    upload that would come after the generation is made then (a month that ended yesterday).

    playable=False (a box a person uses) marks them unplayable with the reason, since no media
    stands behind them; the benchmarks keep them "ready" as processed footage would be."""
    state, reason = ("ready", None) if playable else ("unplayable", NO_MEDIA)
    rid = m.base.recording
    utc = timezone.utc
    latest = m.created_at or datetime.now(utc)
    for sp in m.spans:
        off = m.officers[sp.officer]
        dev = m.devices[sp.device]
        n = sp.segments
        seg = max(1.0, (sp.end - sp.start - (n - 1)) / n)
        for j in range(n):
            rid += 1
            s = sp.start + j * (seg + 1)
            e = s + seg
            started = datetime.fromtimestamp(s, utc)
            uploaded = min(datetime.fromtimestamp(sp.end + sp.upload_delay + j * 2, utc), latest)
            sha = f"{rid:012x}{rng.getrandbits(208):052x}"
            local = started.astimezone(tz).replace(tzinfo=None)
            yield (rid, sha, int(seg * 1_250_000), "video",
                   f"{dev['serial']}_{off['police_id']}_{local:%Y%m%d%H%M%S}_{j:04d}.MP4",
                   f"originals/{sha[:2]}/{sha}", dev["serial"], dev["id"], off["police_id"], off["id"], "assignment",
                   off["unit_id"], local, started, 0, "device", False, uploaded - timedelta(minutes=5), uploaded,
                   uploaded + timedelta(seconds=3), started + timedelta(days=183), "verified", None, uploaded,
                   state, 1, uploaded + timedelta(minutes=2), "mp4", "h264", "aac", 1920, 1080, round(seg, 3),
                   25.0, datetime.fromtimestamp(e, utc), *((f"derived/proxy/{sha}.mp4", "video", "remux",
                                                           f"derived/poster/{sha}.jpg") if playable else
                                                          (None, None, None, None)), reason)

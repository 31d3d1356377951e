"""The evidence library: one page of recordings with what a table row shows, filtered and sorted
on the server, and bulk actions on a selection.

Reach is the catalog's (`catalog.visible`): a filter can only narrow it. Every listing is audited
like a search (the ids returned, and whether poster URLs were handed out); every bulk change is
audited per recording by the service it calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from evidence.actors import user_actor
from evidence.audit import service as audit
from evidence.cases.models import Case, CaseRecording
from evidence.config import get_settings
from evidence.coverage.models import EnforcementEvent, RecordingEventLink
from evidence.errors import DomainError, Forbidden, Invalid
from evidence.identity.models import Role, Unit, User
from evidence.identity.service import subtree_unit_ids
from evidence.recordings.models import Recording
from evidence.recordings.service import DOWNLOAD_ROLES, get_visible, visible
from evidence.secrets_store import s3_secret
from storage.presign import GetSigner
from storage.s3 import ObjectStore

# Sortable columns: the name in the query string → the column. Anything else is refused.
SORTS = {
    "started_at": Recording.started_at,
    "duration": Recording.duration_seconds,
    "camera": Recording.device_serial,
    "kind": Recording.media_kind,
    "state": Recording.processing_state,
    "important": Recording.important,
    "size": Recording.size_bytes,
    "officer": Recording.officer_id,
}

ROW_COLUMNS = [getattr(Recording, name) for name in (
    "id", "original_filename", "media_kind", "started_at", "clock_offset_seconds", "clock_implausible",
    "duration_seconds", "device_serial", "declared_police_id", "officer_id", "officer_source", "unit_id", "status",
    "status_reason", "processing_state", "processing_reason", "important", "legal_hold", "flags",
    "retention_class", "poster_key", "size_bytes")]

# Who may do which bulk action (the same roles as the single-recording endpoints).
BULK_ROLES = {
    "important": {Role.case_handler.value, Role.supervisor.value, Role.admin.value},
    "hold": {Role.supervisor.value, Role.admin.value},
    "attach": {Role.case_handler.value, Role.supervisor.value, Role.admin.value},
}

# Past this many matching rows the count stops: "more than 1,000" is all a person needs (they
# narrow the filter), and counting every row of a wide filter at 100,000 recordings costs far more
# than the page itself (bench/bench_library.py: 1.5 s on SQLite for a cap of 10,000).
COUNT_LIMIT = 1_000


@dataclass
class LibraryFilter:
    officer: str | None = None  # 警号
    unit: str | None = None  # unit code: that unit and the units under it
    camera: str | None = None  # serial
    start_from: datetime | None = None  # UTC
    start_to: datetime | None = None
    kind: str | None = None  # video, audio, photo, other
    state: str | None = None  # processing state
    status: str | None = None  # upload / verification status
    important: bool | None = None
    legal_hold: bool | None = None
    linked: bool | None = None  # linked to a ledger event or on a case
    case_no: str | None = None
    event_id: str | None = None  # the ledger's event id
    extra: dict = field(default_factory=dict)

    def described(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in vars(self).items()
                if v is not None and k != "extra"}


def _active_link():
    return exists().where(RecordingEventLink.recording_id == Recording.id, RecordingEventLink.removed_at.is_(None))


def _active_attachment():
    return exists().where(CaseRecording.recording_id == Recording.id, CaseRecording.detached_at.is_(None))


def _filtered(session: Session, user: User, f: LibraryFilter) -> Select | None:
    """The visible recordings matching the filter; None when a named officer, unit or the like
    does not exist (the answer is then simply empty)."""
    query = visible(session, user, select(Recording))
    if f.officer:
        officer_id = session.scalar(select(User.id).where(User.police_id == f.officer))
        if officer_id is None:
            return None
        query = query.where(Recording.officer_id == officer_id)
    if f.unit:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == f.unit))
        if unit_id is None:
            return None
        ids = subtree_unit_ids(session, unit_id)
        query = query.where(Recording.unit_id == ids[0] if len(ids) == 1 else Recording.unit_id.in_(ids))
    if f.camera:
        query = query.where(Recording.device_serial == f.camera)
    if f.start_from:
        query = query.where(Recording.started_at >= f.start_from)
    if f.start_to:
        query = query.where(Recording.started_at < f.start_to)
    if f.kind:
        query = query.where(Recording.media_kind == f.kind)
    if f.state:
        query = query.where(Recording.processing_state == f.state)
    if f.status:
        query = query.where(Recording.status == f.status)
    if f.important is not None:
        query = query.where(Recording.important.is_(f.important))
    if f.legal_hold is not None:
        query = query.where(Recording.legal_hold.is_(f.legal_hold))
    if f.linked is not None:
        either = _active_link() | _active_attachment()
        query = query.where(either if f.linked else ~either)
    if f.case_no:
        # Few recordings per case: select their ids first (indexed), not a test on every row.
        on_case = (select(CaseRecording.recording_id).join(Case, Case.id == CaseRecording.case_id)
                   .where(Case.case_no == f.case_no, CaseRecording.detached_at.is_(None)))
        by_ledger = (select(RecordingEventLink.recording_id)
                     .join(EnforcementEvent, EnforcementEvent.id == RecordingEventLink.event_id)
                     .where(EnforcementEvent.case_no == f.case_no, RecordingEventLink.removed_at.is_(None)))
        query = query.where(Recording.id.in_(on_case.union(by_ledger)))
    if f.event_id:
        event_pk = session.scalar(select(EnforcementEvent.id).where(EnforcementEvent.event_id == f.event_id))
        if event_pk is None:
            return None
        query = query.where(Recording.id.in_(select(RecordingEventLink.recording_id).where(
            RecordingEventLink.event_id == event_pk, RecordingEventLink.removed_at.is_(None))))
    return query


def count(session: Session, user: User, f: LibraryFilter) -> int:
    """How many recordings the library lists for this filter (every one, no cap): a to-do count
    that links to the list shows the number the list will hold."""
    query = _filtered(session, user, f)
    if query is None:
        return 0
    return session.scalar(select(func.count()).select_from(query.with_only_columns(Recording.id).subquery()))


def _order(sort: str, descending: bool):
    column = SORTS.get(sort)
    if column is None:
        raise Invalid(f"cannot sort by {sort!r}; allowed: {', '.join(SORTS)}")
    # The database's own NULL placement (no NULLS LAST): only then can PostgreSQL walk the column's
    # index backwards for newest-first instead of sorting every match (bench/bench_library.py).
    if descending:
        return [column.desc(), Recording.id.desc()]
    return [column.asc(), Recording.id.asc()]


@dataclass
class LibraryPage:
    rows: list[dict]
    total: int | None
    total_exact: bool


def page(session: Session, user: User, f: LibraryFilter, sort: str, descending: bool,
         page_no: int, page_size: int, ip: str | None = None, with_total: bool = True) -> LibraryPage:
    """One page. Counting a wide filter costs more than the page (every matching row is read), so
    a client turning pages or changing the sort of the same filter may skip it (with_total)."""
    order = _order(sort, descending)
    query = _filtered(session, user, f)
    if query is None:
        recs, total = [], 0
    else:
        # Only the columns a row shows: loading whole Recording entities (70 columns) cost more than the query.
        recs = list(session.execute(query.with_only_columns(*ROW_COLUMNS).order_by(*order)
                                    .offset((page_no - 1) * page_size).limit(page_size)))
        if page_no == 1 and len(recs) < page_size:
            total = len(recs)  # the whole answer is on this page: nothing to count
        elif not with_total:
            total = None  # the caller kept the count from the filter's first page
        else:
            limited = query.with_only_columns(Recording.id).order_by(None).limit(COUNT_LIMIT + 1).subquery()
            total = session.scalar(select(func.count()).select_from(limited))
    rows = _rows(session, user, recs)
    audit.record(session, user_actor(user, ip), "recording.search", "recording", None, filter=f.described(),
                 sort=sort, descending=descending, page=page_no, returned=len(rows), ids=[r.id for r in recs],
                 posters=sum(1 for r in rows if r["poster_url"]))
    if total is None:
        return LibraryPage(rows=rows, total=None, total_exact=False)
    return LibraryPage(rows=rows, total=min(total, COUNT_LIMIT), total_exact=total <= COUNT_LIMIT)


def _signer() -> GetSigner:
    """Signs poster URLs the way the store's presigner does (same endpoint, keys and region)."""
    s = get_settings()
    return _cached_signer(s.s3_public_endpoint or s.s3_endpoint, s.s3_access_key, s3_secret(),
                          s.s3_secure, s.s3_region)


@lru_cache(maxsize=4)
def _cached_signer(endpoint: str, access_key: str, secret_key: str, secure: bool, region: str) -> GetSigner:
    return GetSigner(endpoint, access_key, secret_key, secure=secure, region=region)


def _rows(session: Session, user: User, recs: list) -> list[dict]:
    if not recs:
        return []
    ids = [r.id for r in recs]
    officers = {u.id: u for u in session.execute(select(User.id, User.police_id, User.name).where(
        User.id.in_({r.officer_id for r in recs if r.officer_id})))}
    units = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_({r.unit_id for r in recs
                                                                              if r.unit_id}))).all())
    events: dict[int, list[str]] = {}
    for rec_id, event_id in session.execute(
            select(RecordingEventLink.recording_id, EnforcementEvent.event_id)
            .join(EnforcementEvent, EnforcementEvent.id == RecordingEventLink.event_id)
            .where(RecordingEventLink.recording_id.in_(ids), RecordingEventLink.removed_at.is_(None))
            .order_by(EnforcementEvent.started_at)):
        events.setdefault(rec_id, []).append(event_id)
    cases: dict[int, list[dict]] = {}
    for rec_id, case_id, case_no in session.execute(
            select(CaseRecording.recording_id, Case.id, Case.case_no).join(Case, Case.id == CaseRecording.case_id)
            .where(CaseRecording.recording_id.in_(ids), CaseRecording.detached_at.is_(None))
            .order_by(Case.case_no)):
        if all(c["id"] != case_id for c in cases.get(rec_id, [])):
            cases.setdefault(rec_id, []).append({"id": case_id, "case_no": case_no})
    posters = user.role in DOWNLOAD_ROLES
    settings = get_settings()
    expires = timedelta(seconds=settings.download_url_seconds)
    sign = _signer()
    out = []
    for r in recs:
        officer = officers.get(r.officer_id)
        out.append({
            "id": r.id, "original_filename": r.original_filename, "media_kind": r.media_kind,
            "started_at": r.started_at,
            "started_at_corrected": r.started_at - timedelta(seconds=r.clock_offset_seconds or 0)
            if r.started_at is not None else None,
            "clock_implausible": r.clock_implausible, "duration_seconds": r.duration_seconds,
            "device_serial": r.device_serial,
            "officer_police_id": officer.police_id if officer else r.declared_police_id,
            "officer_name": officer.name if officer else None, "officer_source": r.officer_source,
            "unit_id": r.unit_id, "unit_code": units.get(r.unit_id), "status": r.status,
            "status_reason": r.status_reason, "processing_state": r.processing_state,
            "processing_reason": r.processing_reason, "important": r.important, "legal_hold": r.legal_hold,
            "flags": [x for x in (r.flags or "").split(",") if x], "retention_class": r.retention_class,
            "event_ids": events.get(r.id, []), "cases": cases.get(r.id, []),
            "poster_url": sign.url(settings.bucket_derived, r.poster_key, expires) if posters and r.poster_key else None,
            "size_bytes": r.size_bytes,
        })
    return out


def bulk(session: Session, store: ObjectStore, user: User, action: str, recording_ids: list[int], on: bool,
         case: Case | None, reason: str | None, note: str | None, ip: str | None = None) -> list[dict]:
    """Apply one action to each recording in the selection. Each is checked on its own (reach,
    state); one that cannot be changed is reported with the reason and the others go ahead."""
    from evidence.cases import retention
    from evidence.cases import service as cases
    from evidence.cases.access import require_work

    if user.role not in BULK_ROLES.get(action, set()):
        raise Forbidden(f"role {user.role} may not {action} recordings")
    if action == "attach":
        if case is None:
            raise Invalid("attach needs the case")
        require_work(session, user, case)
    actor = user_actor(user, ip)
    results = []
    for rec_id in dict.fromkeys(recording_ids):
        try:
            if action == "attach":
                cases.attach(session, store, user, case, rec_id, None, None, note, ip)
            else:
                rec = get_visible(session, user, rec_id)
                if action == "important":
                    if rec.important != on:
                        rec.important = on
                        audit.record(session, actor, "recording.important", "recording", rec.id, important=on,
                                     reason=reason)
                elif action == "hold":
                    retention.set_hold(session, store, rec, on, reason, actor)
            session.flush()
            results.append({"recording_id": rec_id, "ok": True, "error": None})
        except DomainError as exc:
            results.append({"recording_id": rec_id, "ok": False, "error": exc.message})
    return results

"""Which ledger rows an importer may write: a supervisor changes only their own unit's ledger.

An event belongs to the unit of its first known officer. A supervisor may create or update an
event only when every known officer on the row is in their unit (or below) and, for an update,
when the event already belongs there. Other rows are reported by line and left untouched.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.coverage.ledger_parse import LedgerError, LedgerRow
from evidence.coverage.models import EnforcementEvent
from evidence.identity.models import Role, User
from evidence.identity.service import subtree_unit_ids


def rows_in_reach(session: Session, user: User, rows: list[LedgerRow]) -> tuple[list[LedgerRow], list[LedgerError]]:
    """(rows the user may import, one error per refused row). Admins may import any row."""
    if user.role == Role.admin.value or not rows:
        return rows, []
    reach = set(subtree_unit_ids(session, user.unit_id)) if user.unit_id is not None else set()
    owner = {e: u for e, u in session.execute(select(EnforcementEvent.event_id, EnforcementEvent.unit_id).where(
        EnforcementEvent.event_id.in_({r.event_id for r in rows})))}
    unit_of = {p: u for p, u in session.execute(select(User.police_id, User.unit_id).where(
        User.police_id.in_({p for r in rows for p in r.police_ids})))}
    kept, errors = [], []
    for row in rows:
        if row.event_id in owner and owner[row.event_id] not in reach:
            errors.append(LedgerError(row.line, f"event_id {row.event_id} is another unit's event: only that unit "
                                                "or an admin may change it"))
            continue
        outside = [p for p in row.police_ids if p in unit_of and unit_of[p] not in reach]
        if outside:
            errors.append(LedgerError(row.line, f"police_ids: {', '.join(outside)} not in your unit: events of "
                                                "other units' officers are imported by those units or an admin"))
            continue
        kept.append(row)
    return kept, errors

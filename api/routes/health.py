"""Health of the service and what it depends on. Who: anyone (no secrets are shown)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from evidence.audit.schemas import HealthOut
from evidence.db import get_engine
from evidence.store import get_store

router = APIRouter(tags=["health"])


def _check(fn) -> dict:
    try:
        detail = fn()
        return {"ok": True, **(detail or {})}
    except Exception as exc:  # a health check reports, it does not raise
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _database():
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"backend": get_engine().dialect.name}


def _broker():
    # Imported here: the Celery app reads the settings when first imported, and tests and
    # `evidence api` set them after importing the routes.
    from workers.celery_app import celery_app

    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        return {"transport": conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_type}


def _storage():
    store = get_store()
    store.ping()
    return {"object_lock": store.object_lock_supported}


@router.get("/health", response_model=HealthOut,
            responses={503: {"model": HealthOut, "description": "a part is down: `status` is degraded"}},
            summary="Database, broker and object storage status (who: anyone)")
def health() -> JSONResponse:
    parts = {"database": _check(_database), "broker": _check(_broker), "storage": _check(_storage)}
    ok = all(p["ok"] for p in parts.values())
    body = HealthOut.model_validate({"status": "ok" if ok else "degraded", **parts})
    return JSONResponse(body.model_dump(mode="json", exclude_unset=True), status_code=200 if ok else 503)

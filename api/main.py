"""The FastAPI application: routes, error mapping and start-up."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError

from api.openapi import declare_error_bodies
from api.routes import (accounts, admin, assessment, audit, auth, case_workspace, cases, coverage, explanations,
                        explorer, health, ingest, library, my_work, periodic, processing_queue, recording_detail,
                        recordings, review, site, supervision)
from api.webapp import mount_webapp
from evidence.errors import DomainError
from evidence.logs import configure_logging
from evidence.store import get_store
from storage.s3 import STORAGE_ERRORS, unavailable


@asynccontextmanager
async def lifespan(app: FastAPI):
    configure_logging()
    try:
        get_store()  # creates the buckets; a failure here shows in /health, not a crash
    except Exception:  # noqa: BLE001
        logging.getLogger(__name__).exception("object storage not reachable at start-up")
    yield


def _safe(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def create_app() -> FastAPI:
    app = FastAPI(
        title="Body-camera evidence service",
        version="0.1.0",
        description="Verified ingest of body-camera footage, a role-scoped catalog and a hash-chained audit log. "
        "Each endpoint's summary says who may call it.",
        lifespan=lifespan,
    )

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The offending input is not echoed back: it may be huge or not encodable (lone surrogates).
        errors = [{"loc": list(e.get("loc", ())), "msg": _safe(e.get("msg", "")), "type": e.get("type")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(DataError)
    async def unstorable_value(_: Request, exc: DataError) -> JSONResponse:
        # The last line of defence for input no check caught: PostgreSQL refuses it as data.
        return JSONResponse({"detail": "the request holds a value the database cannot store or compare (a NUL "
                                       "character, or a number out of range): remove it and send again"},
                            status_code=422)

    @app.exception_handler(OperationalError)
    async def database_unreachable(_: Request, exc: OperationalError) -> JSONResponse:
        # The database restarting, failing over or out of connections: a temporary state, so a 503 the
        # client retries (every write the clients make is safe to repeat), not a 500 with a traceback.
        # exc.orig is the driver's error (SQLAlchemy's own text may start with a note about autoflush).
        logging.getLogger(__name__).warning("database unreachable or a clash to retry: %s: %s",
                                            type(exc.orig).__name__, str(exc.orig).splitlines()[0][:300])
        return JSONResponse({"detail": "the database is not reachable right now (restarting or "
                                       "overloaded): send the request again in a few seconds"},
                            status_code=503, headers={"Retry-After": "5"})

    async def storage_error(_: Request, exc: Exception) -> JSONResponse:
        # Object storage down, restarting or overloaded: a 503 the client retries, like the database's.
        # Anything else it answered (a refusal: wrong keys, a missing bucket) is the administrator's to
        # fix: a 500 naming the S3 code, the details in the log.
        code = getattr(exc, "code", None) or type(exc).__name__
        if unavailable(exc):
            logging.getLogger(__name__).warning("object storage unreachable or busy: %s: %s", code,
                                                str(exc).splitlines()[0][:300])
            return JSONResponse({"detail": "object storage is not reachable right now (restarting or "
                                           "overloaded): send the request again in a few seconds"},
                                status_code=503, headers={"Retry-After": "5"})
        logging.getLogger(__name__).error("object storage refused a request", exc_info=exc)
        return JSONResponse({"detail": f"object storage refused the request ({code}): the administrator "
                                       "finds the details in the server's log"}, status_code=500)

    for error in STORAGE_ERRORS:
        app.add_exception_handler(error, storage_error)

    for module in (health, site, auth, admin, accounts, ingest, recordings, recording_detail, library, audit, explorer,
                   coverage, cases, case_workspace, my_work, supervision, review, assessment, periodic, explanations,
                   processing_queue):
        app.include_router(module.router)
    declare_error_bodies(app)
    mount_webapp(app)  # last: its catch-all must not shadow an API route
    return app


app = create_app()

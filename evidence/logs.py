"""Structured logging: JSON lines (one event per line, easy to ship and grep), or readable
lines when a person watches: on a terminal unless EVIDENCE_LOG_JSON says otherwise."""

from __future__ import annotations

import logging
import sys

import structlog

from evidence.config import get_settings

_configured = False


def configure_logging() -> None:
    global _configured
    if _configured:
        return
    settings = get_settings()
    terminal = sys.stderr.isatty()
    as_json = settings.log_json if settings.log_json is not None else not terminal
    renderer = (structlog.processors.JSONRenderer(ensure_ascii=False) if as_json
                else structlog.dev.ConsoleRenderer(colors=terminal))
    formatter = structlog.stdlib.ProcessorFormatter(
        processor=renderer,
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ExtraAdder(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    _configured = True

"""The Celery application. Redis in production; an embedded SQLite broker on a single box.

Tasks are acks_late and idempotent: a worker killed mid-task leaves the message to be
delivered again, and a sweep re-queues any verification whose message was lost.
"""

from __future__ import annotations

from celery import Celery

from evidence.config import get_settings
from evidence.logs import configure_logging
from workers import embedded_broker  # noqa: F401  (registers the single-box transport)


def make_celery() -> Celery:
    settings = get_settings()
    app = Celery("evidence", broker=settings.resolved_broker_url(), include=["workers.tasks"])
    transport_options: dict = {}
    if settings.resolved_broker_url().startswith(("redis", "rediss")):
        # Longer than the longest task, so a slow task is never handed to a second worker.
        transport_options["visibility_timeout"] = 6 * 3600
        # Message priorities (important recordings first): 0 is served first on Redis.
        transport_options["queue_order_strategy"] = "priority"
        transport_options["priority_steps"] = list(range(10))
        transport_options["sep"] = ":"
    if settings.broker_key_prefix:
        transport_options["global_keyprefix"] = settings.broker_key_prefix
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="fast",
        task_routes={"workers.tasks.transcode_recording": {"queue": "transcode"},
                     "workers.tasks.process_recording": {"queue": "media"},
                     "workers.tasks.*": {"queue": "fast"}},
        task_queue_max_priority=10,
        task_default_priority=6,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule={
            "sweep-unverified": {"task": "workers.tasks.sweep_unverified", "schedule": 60.0},
            "sweep-processing": {"task": "workers.tasks.sweep_processing", "schedule": 30.0},
            "fixity": {"task": "workers.tasks.fixity_sweep", "schedule": settings.fixity_interval_minutes * 60.0},
            "coverage-pending": {"task": "workers.tasks.coverage_sweep", "schedule": 900.0},
            "coverage-summaries": {"task": "workers.tasks.store_coverage_summaries", "schedule": 3600.0},
            "retention-sweep": {"task": "workers.tasks.retention_sweep", "schedule": 24 * 3600.0},
            "audit-checkpoint": {"task": "workers.tasks.audit_checkpoint",
                                 "schedule": settings.audit_checkpoint_minutes * 60.0},
        },
    )
    return app


configure_logging()
celery_app = make_celery()

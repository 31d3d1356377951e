"""Service configuration, read from the environment and `.env` (prefix `EVIDENCE_`).

Every setting has a default that suits the single-box install; production overrides them
through environment variables only (see the table in README.md).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024
GiB = 1024 * MiB


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder for SQLite, the embedded broker, SeaweedFS data and secrets.")
    database_url: str = Field("", description="SQLAlchemy URL. Empty: SQLite file in data_dir.")
    broker_url: str = Field("", description="Celery broker. Empty: embedded SQLite broker in data_dir. Production: redis://...")
    broker_key_prefix: str = Field("", description="Prefix for every broker key (lets several deployments share one Redis).")
    s3_endpoint: str = Field("127.0.0.1:8333", description="host:port of the S3 server the service uses.")
    s3_public_endpoint: str = Field("", description="host:port put into presigned URLs for stations, if it differs from s3_endpoint.")
    s3_access_key: str = Field("evidence", description="S3 access key.")
    s3_secret_key: str = Field("", description="S3 secret key. Empty on single box: generated once and kept in data_dir.")
    s3_secure: bool = Field(False, description="Use HTTPS to reach S3.")
    s3_region: str = Field("us-east-1", description="S3 region used for signing.")
    bucket_originals: str = Field("evidence-originals", description="Bucket for originals (object lock on).")
    bucket_derived: str = Field("evidence-derived", description="Bucket for proxies, thumbnails and exports.")
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE", "OFF"] = Field(
        "COMPLIANCE", description="S3 object-lock mode applied to verified originals."
    )
    retention_days: int = Field(183, ge=1, description="Default retention of an original, counted from the later of its recording and its arrival (verification).")
    retention_min_days_after_arrival: int = Field(183, ge=0, description="The sweep never deletes an original sooner than this after it arrived, whatever its keep-until date says.")
    secret_key: str = Field("", description="Key that signs login tokens. Empty: generated once and kept in data_dir.")
    token_minutes: int = Field(30, ge=1, le=24 * 60, description="Lifetime of a login token.")
    login_window_minutes: int = Field(60, ge=1, description="Failed logins are counted over this window, from the first one.")
    login_account_free_failures: int = Field(5, ge=1, description="Failed logins of one account answered at once; after that each waits longer (429 with Retry-After).")
    login_account_lock_failures: int = Field(10, ge=2, description="Failed logins of one account that lock it for login_lock_minutes (audited; an admin can unlock it).")
    login_address_free_failures: int = Field(20, ge=1, description="Failed logins from one client address, any account, answered at once; after that each waits longer.")
    login_address_lock_failures: int = Field(100, ge=2, description="Failed logins from one client address that lock it for login_lock_minutes.")
    login_delay_seconds: int = Field(1, ge=1, description="First wait after the free failures; it doubles with each further failure.")
    login_max_delay_seconds: int = Field(300, ge=1, description="Longest wait between two login attempts before a lock.")
    login_lock_minutes: int = Field(15, ge=1, description="How long a locked account or address stays locked.")
    part_size_mib: int = Field(16, ge=5, le=5 * 1024, description="Smallest multipart part size handed to stations.")
    max_parts: int = Field(1000, ge=1, le=10000, description="Part size grows so that no upload needs more parts.")
    max_upload_bytes: int = Field(512 * GiB, description="Largest single file accepted.")
    part_url_seconds: int = Field(6 * 3600, ge=60, description="Lifetime of presigned part upload URLs.")
    download_url_seconds: int = Field(300, ge=10, le=3600, description="Lifetime of presigned download URLs.")
    timezone: str = Field("Asia/Shanghai", description="The unit's time zone: device clocks and reports.")
    max_clock_skew_hours: int = Field(48, description="A camera start time later than now plus this is flagged `device clock implausible` (a dock time is refused).")
    earliest_recording_year: int = Field(2005, description="A camera start time earlier than this year is flagged `device clock implausible` (a dock time is refused).")
    verify_sweep_minutes: int = Field(10, ge=1, description="Completed uploads still unverified after this are queued again.")
    scratch_dir: Path | None = Field(None, description="Where workers keep the one local copy of an original while processing it (default data_dir/scratch).")
    proxy_max_height: int = Field(720, ge=144, description="Transcoded proxies are scaled down to at most this height (remuxed ones keep the source size).")
    proxy_crf: int = Field(23, ge=0, le=51, description="x264 quality of transcoded proxies (lower is better and bigger).")
    proxy_preset: str = Field("veryfast", description="x264 preset of transcoded proxies.")
    proxy_audio_bitrate: str = Field("128k", description="AAC bitrate of proxies.")
    thumbnail_count: int = Field(10, ge=1, le=100, description="Frames in the scrubbing strip.")
    thumbnail_width: int = Field(320, ge=32, description="Width of each strip frame.")
    poster_width: int = Field(640, ge=32, description="Width of the poster frame.")
    photo_preview_max: int = Field(1280, ge=64, description="Longest side of a photo's preview JPEG.")
    processing_max_attempts: int = Field(3, ge=1, description="Automatic tries before a recording is left `failed`.")
    station_silent_minutes: int = Field(15, ge=1, description="A docking station with no heartbeat or upload for longer than this is shown as silent (失联) to admins.")
    processing_stale_seconds: int = Field(300, ge=5, description="A `processing` recording whose worker has not reported for this long is queued again.")
    processing_heartbeat_seconds: int = Field(20, ge=1, description="How often a running task reports that it is alive.")
    on_time_import_hours: int = Field(24, ge=1, description="A recording docked within this many hours of its end counts as imported on time (supervision and assessment).")
    fixity_daily_gb: float = Field(200.0, ge=0, description="Originals re-hashed per day by the fixity sweep (0: all of them each day).")
    fixity_interval_minutes: int = Field(60, ge=1, description="How often the fixity sweep runs.")
    coverage_rules: dict[str, dict] = Field(default_factory=dict, description="JSON overrides of the coverage rules per event type ('*' for all), e.g. {\"ticket\": {\"default_minutes\": 20}}. See README.")
    flagged_retention_days: int = Field(0, ge=0, description="Retention of recordings flagged obstruction or major incident (0: permanent).")
    permanent_lock_years: int = Field(30, ge=1, description="Object-lock period given to originals kept permanently (case evidence, flagged); extended, never shortened.")
    signing_key: str = Field("", description="Ed25519 private key (PEM) that signs exports and audit checkpoints. Empty: generated once and kept in data_dir.")
    audit_checkpoint_minutes: int = Field(60, ge=1, description="How often the scheduler signs the audit chain's head into the object-locked bucket (every export does too).")
    retention_sweep_delete: bool = Field(True, description="The daily retention sweep deletes expired originals after writing its dry-run report (False: report only).")
    api_host: str = Field("127.0.0.1", description="Address the API listens on (single box).")
    api_port: int = Field(8000, description="Port the API listens on (single box).")
    log_level: str = Field("INFO", description="Log level.")
    log_json: bool | None = Field(None, description="Write logs as JSON lines (True) or human-readable lines (False). Empty: human-readable on a terminal, JSON lines otherwise.")

    @property
    def part_size_min(self) -> int:
        return self.part_size_mib * MiB

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'evidence.db').resolve()}"

    def resolved_scratch_dir(self) -> Path:
        return self.scratch_dir or self.data_dir / "scratch"

    def resolved_broker_url(self) -> str:
        return self.broker_url or f"sqlite-broker+sqlite:///{(self.data_dir / 'broker.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

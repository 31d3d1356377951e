"""Agent configuration: environment variables prefixed DOCK_, or a dock.env file.

Lists (mount roots, patterns) are JSON in the environment, e.g.
DOCK_MOUNT_ROOTS='["/media/cameras"]'.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCK_", env_file="dock.env", extra="ignore")

    server_url: str = Field("http://127.0.0.1:8000", description="Base URL of the evidence service.")
    station_key: str = Field("", description="This station's API key (from `evidence stations register`).")
    mount_roots: list[Path] = Field(default_factory=list, description="Folders where docked cameras appear as subfolders.")
    spool_dir: Path = Field(Path("spool"), description="Local spool: copies of camera files and the journal.")
    spool_budget_gb: float = Field(200.0, gt=0, description="Keep the spool under this size; verified files are removed oldest first.")
    min_free_gb: float = Field(5.0, ge=0, description="Warn below this free disk space; never fill the disk past it.")
    wipe: bool = Field(False, description="Delete a file from the camera once the server verified it (never before).")
    patterns: list[str] = Field(default_factory=list, description="Extra filename regexes (named groups: serial, police_id, start or date+time, seq, important), tried before the built-in ones.")
    device_info_files: list[str] = Field(default_factory=lambda: ["DEVICE_INFO.json", "device_info.json", "DeviceInfo.json"],
                                         description="Device-info JSON files looked for at a camera's root.")
    camera_concurrency: int = Field(2, ge=1, le=16, description="Cameras copied to the spool at the same time.")
    file_concurrency: int = Field(4, ge=1, le=16, description="Files uploaded at the same time.")
    part_concurrency: int = Field(4, ge=1, le=32, description="Parts uploaded at the same time, across all files "
                                                              "(one big file's parts, or several small files).")
    bandwidth_mbps: float = Field(0, ge=0, description="Upload cap in megabits per second (0: no cap).")
    copy_mbps: float = Field(0, ge=0, description="Cap on reading from cameras in megabytes per second (0: none), to leave disk bandwidth for other work.")
    poll_seconds: float = Field(2.0, gt=0, description="How often mount roots are checked for cameras.")
    heartbeat_seconds: float = Field(60.0, gt=0, description="How often the station reports to the server.")
    verify_timeout_seconds: float = Field(3600, gt=0, description="How long to wait for server verification in one-shot mode.")
    log_file: Path | None = Field(None, description="Log file (default: spool_dir/agent.log).")
    screen_host: str = Field("127.0.0.1", description="Address the dock screen's page listens on (the dock PC's own "
                                                       "browser; another address shows serials and 警号 to that network).")
    screen_port: int = Field(8765, ge=0, le=65535, description="Port of the dock screen's page (0: no page).")
    screen_forget_minutes: float = Field(10.0, gt=0, description="How long an undocked camera stays on the dock screen.")

    @property
    def journal_path(self) -> Path:
        return self.spool_dir / "journal.sqlite3"

    @property
    def resolved_log_file(self) -> Path:
        return self.log_file or self.spool_dir / "agent.log"

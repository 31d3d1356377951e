"""What the web application needs before sign-in."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SiteOut(BaseModel):
    timezone: str = Field(description="The unit's IANA time zone: every time the pages show is in it.")
    version: str

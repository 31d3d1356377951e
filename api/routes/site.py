"""What the web application needs before sign-in. Who: anyone (nothing here is secret)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from evidence.config import get_settings

router = APIRouter(prefix="/api/v1/site", tags=["site"])


class SiteOut(BaseModel):
    timezone: str = Field(description="The unit's IANA time zone: every time the pages show is in it.")
    version: str


@router.get("", response_model=SiteOut, summary="The unit's time zone and the service version (who: anyone)")
def site() -> SiteOut:
    return SiteOut(timezone=get_settings().timezone, version="0.1.0")

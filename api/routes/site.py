"""What the web application needs before sign-in. Who: anyone (nothing here is secret)."""

from __future__ import annotations

from fastapi import APIRouter

from evidence.config import get_settings
from evidence.identity.site_schemas import SiteOut

router = APIRouter(prefix="/api/v1/site", tags=["site"])


@router.get("", response_model=SiteOut, summary="The unit's time zone and the service version (who: anyone)")
def site() -> SiteOut:
    return SiteOut(timezone=get_settings().timezone, version="0.1.0")

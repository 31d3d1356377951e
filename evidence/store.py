"""The process's ObjectStore, built from the evidence settings (storage itself knows no settings)."""

from __future__ import annotations

from functools import lru_cache

from evidence.config import get_settings
from evidence.secrets_store import s3_secret
from storage.s3 import ObjectStore


@lru_cache
def get_store() -> ObjectStore:
    s = get_settings()
    store = ObjectStore(
        s.s3_endpoint, s.s3_access_key, s3_secret(), secure=s.s3_secure,
        region=s.s3_region, public_endpoint=s.s3_public_endpoint, originals_bucket=s.bucket_originals,
        derived_bucket=s.bucket_derived, lock_mode=s.object_lock_mode,
    )
    store.ensure_buckets()
    return store

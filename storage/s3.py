"""The object-storage layer: every S3 call the service makes goes through here (minio SDK).

Stations never receive credentials, only presigned URLs for one part or one object.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import urllib3
from minio import Minio
from minio.commonconfig import GOVERNANCE, COMPLIANCE
from minio.datatypes import Part
from minio.error import MinioException, S3Error, ServerError
from minio.retention import Retention

log = logging.getLogger(__name__)

READ_CHUNK = 8 * 1024 * 1024


# S3 error codes that say the service is down or overloaded, not that it refuses the request.
BUSY_CODES = {"ServiceUnavailable", "SlowDown", "InternalError", "RequestTimeout"}


def unavailable(exc: BaseException) -> bool:
    """Whether an error of the S3 client means storage is unreachable, restarting or overloaded
    (worth sending the request again later), rather than a refusal of this request."""
    if isinstance(exc, (urllib3.exceptions.HTTPError, ServerError)):
        return True
    if isinstance(exc, S3Error):
        status = getattr(exc.response, "status", 0) or 0
        return exc.code in BUSY_CODES or status >= 500
    return False


STORAGE_ERRORS = (MinioException, urllib3.exceptions.HTTPError)  # what the S3 client raises


@dataclass(frozen=True)
class LandedPart:
    part_number: int
    etag: str
    size: int


class ObjectStore:
    """Buckets for originals (object lock on) and for derived files, on one S3 endpoint."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, *, secure: bool = False,
                 region: str = "us-east-1", public_endpoint: str = "", originals_bucket: str,
                 derived_bucket: str, lock_mode: str = "COMPLIANCE"):
        http = urllib3.PoolManager(
            num_pools=8, maxsize=16, timeout=urllib3.Timeout(connect=5, read=120),
            retries=urllib3.Retry(total=3, backoff_factor=0.3, status_forcelist=[500, 502, 503, 504]),
        )
        self.client = Minio(endpoint, access_key, secret_key, secure=secure, region=region, http_client=http)
        # Presigning happens locally; a second client signs for the address stations use.
        self.presigner = (
            Minio(public_endpoint, access_key, secret_key, secure=secure, region=region)
            if public_endpoint and public_endpoint != endpoint else self.client
        )
        self.originals = originals_bucket
        self.derived = derived_bucket
        self.lock_mode = lock_mode
        self.object_lock_supported = False

    # -- setup and health -------------------------------------------------------------------
    def ensure_buckets(self) -> None:
        """Create the buckets if missing (originals with object lock) and learn lock support."""
        if not self.client.bucket_exists(self.originals):
            try:
                self.client.make_bucket(self.originals, object_lock=self.lock_mode != "OFF")
            except S3Error as exc:
                log.warning("object lock refused when creating %s (%s); creating without it",
                            self.originals, exc.code)
                self.client.make_bucket(self.originals)
        if not self.client.bucket_exists(self.derived):
            self.client.make_bucket(self.derived)
        self.object_lock_supported = self._has_object_lock()

    def _has_object_lock(self) -> bool:
        if self.lock_mode == "OFF":
            return False
        try:
            self.client.get_object_lock_config(self.originals)
            return True
        except S3Error:
            return False

    def ping(self) -> None:
        self.client.bucket_exists(self.originals)

    # -- multipart upload of originals ---------------------------------------------------------
    def create_multipart(self, key: str) -> str:
        return self.client._create_multipart_upload(self.originals, key, {"Content-Type": "application/octet-stream"})

    def presign_part(self, key: str, upload_id: str, part_number: int, expires: timedelta) -> str:
        return self.presigner.get_presigned_url(
            "PUT", self.originals, key, expires=expires,
            extra_query_params={"uploadId": upload_id, "partNumber": str(part_number)},
        )

    def landed_parts(self, key: str, upload_id: str) -> list[LandedPart]:
        parts: list[LandedPart] = []
        marker = None
        while True:
            result = self.client._list_parts(self.originals, key, upload_id, max_parts=1000,
                                             part_number_marker=marker)
            parts.extend(LandedPart(p.part_number, p.etag, p.size) for p in result.parts)
            if not result.is_truncated:
                return parts
            marker = str(result.next_part_number_marker)

    def complete_multipart(self, key: str, upload_id: str, parts: list[LandedPart]) -> str:
        result = self.client._complete_multipart_upload(
            self.originals, key, upload_id, [Part(p.part_number, p.etag) for p in parts]
        )
        return result.version_id

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self.client._abort_multipart_upload(self.originals, key, upload_id)
        except S3Error as exc:
            if exc.code != "NoSuchUpload":
                raise

    def put_original(self, key: str, data, size: int) -> str | None:
        return self.client.put_object(self.originals, key, data, size).version_id

    # -- reading originals -----------------------------------------------------------------
    def stat_original(self, key: str, version: str | None = None):
        try:
            return self.client.stat_object(self.originals, key, version_id=version)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    def iter_original(self, key: str, chunk: int = READ_CHUNK, version: str | None = None) -> Iterator[bytes]:
        return self._iter(self.originals, key, chunk, version)

    def iter_derived(self, key: str, chunk: int = READ_CHUNK) -> Iterator[bytes]:
        return self._iter(self.derived, key, chunk)

    def _iter(self, bucket: str, key: str, chunk: int, version: str | None = None) -> Iterator[bytes]:
        response = self.client.get_object(bucket, key, version_id=version)
        try:
            yield from response.stream(chunk)
        finally:
            response.close()
            response.release_conn()

    def hash_original(self, key: str, version: str | None = None) -> tuple[str, int]:
        """Read the stored object once and return (sha256 hex, bytes read)."""
        digest, total = hashlib.sha256(), 0
        for block in _read_ahead(self.iter_original(key, version=version)):
            digest.update(block)
            total += len(block)
        return digest.hexdigest(), total

    def delete_original_versions(self, key: str) -> None:
        """Remove every version of a key (only for bytes that failed verification: never locked)."""
        for obj in self.client.list_objects(self.originals, prefix=key, include_version=True):
            if obj.object_name == key:
                self.client.remove_object(self.originals, key, version_id=obj.version_id)

    def presign_get_original(self, key: str, expires: timedelta, filename: str | None = None,
                             version: str | None = None) -> str:
        headers = {}
        if filename:
            from urllib.parse import quote
            headers["response-content-disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return self.presigner.get_presigned_url("GET", self.originals, key, expires=expires,
                                                response_headers=headers or None, version_id=version)

    def latest_version(self, key: str) -> str | None:
        stat = self.stat_original(key)
        return stat.version_id if stat is not None else None

    # -- object lock -----------------------------------------------------------------------
    def lock_original(self, key: str, until: datetime) -> bool:
        """Apply (or extend, never shorten) object-lock retention. False where unsupported."""
        if not self.object_lock_supported:
            return False
        current = self.get_retention(key)
        if current and current[1] and current[1] >= until:
            return True
        mode = COMPLIANCE if self.lock_mode == "COMPLIANCE" else GOVERNANCE
        self.client.set_object_retention(self.originals, key, Retention(mode, until))
        return True

    def get_retention(self, key: str) -> tuple[str, datetime] | None:
        try:
            r = self.client.get_object_retention(self.originals, key)
        except S3Error as exc:
            if exc.code in ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError",
                            "InvalidRequest", "NoSuchKey"):
                return None
            raise
        if r is None:
            return None
        return (r.mode, r.retain_until_date)

    # -- small records kept under object lock beside the originals (audit checkpoints) ------------------
    def put_locked_record(self, key: str, data: bytes, until: datetime) -> str | None:
        """Store a small record in the object-locked bucket and lock it until `until` (where supported)."""
        import io

        version = self.client.put_object(self.originals, key, io.BytesIO(data), len(data),
                                         content_type="application/json").version_id
        if self.object_lock_supported:
            mode = COMPLIANCE if self.lock_mode == "COMPLIANCE" else GOVERNANCE
            self.client.set_object_retention(self.originals, key, Retention(mode, until), version_id=version)
        return version

    def record_versions(self, prefix: str) -> list[tuple[str, str | None]]:
        """(key, version) of every stored version under `prefix`, delete markers left out."""
        return [(o.object_name, o.version_id) for o in self.client.list_objects(
            self.originals, prefix=prefix, recursive=True, include_version=True) if not o.is_delete_marker]

    def read_record(self, key: str, version: str | None = None) -> bytes:
        response = self.client.get_object(self.originals, key, version_id=version)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    # -- derived files (proxies, thumbnails): rebuildable, no lock ---------------------------------
    def put_derived(self, key: str, path, content_type: str, metadata: dict | None = None) -> None:
        """Upload a finished file; S3 makes the object visible only once it is complete."""
        self.client.fput_object(self.derived, key, str(path), content_type=content_type, metadata=metadata or {})

    def stat_derived(self, key: str):
        try:
            return self.client.stat_object(self.derived, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    def presign_get_derived(self, key: str, expires: timedelta) -> str:
        return self.presigner.get_presigned_url("GET", self.derived, key, expires=expires)

    def remove_derived(self, key: str) -> None:
        self.client.remove_object(self.derived, key)

    def set_legal_hold(self, key: str, on: bool) -> bool:
        """S3 legal hold on the original, where the store supports object lock."""
        if not self.object_lock_supported:
            return False
        try:
            if on:
                self.client.enable_object_legal_hold(self.originals, key)
            else:
                self.client.disable_object_legal_hold(self.originals, key)
            return True
        except S3Error as exc:
            log.warning("legal hold on %s not applied: %s", key, exc.code)
            return False

    def download_original(self, key: str, dest, chunk: int = READ_CHUNK, version: str | None = None) -> tuple[str, int]:
        """Copy the original to a local file, hashing it in the same read: (sha256, bytes read).

        The network read runs in its own thread, ahead of the hash and the write (both release
        the GIL), so the three overlap instead of taking turns.
        """
        digest, total = hashlib.sha256(), 0
        with open(dest, "wb") as fh:
            for block in _read_ahead(self.iter_original(key, chunk, version)):
                digest.update(block)
                fh.write(block)
                total += len(block)
        return digest.hexdigest(), total


def _read_ahead(blocks: Iterator[bytes], depth: int = 4) -> Iterator[bytes]:
    """Pull blocks from `blocks` in a background thread, up to `depth` ahead of the consumer."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done, stop = object(), threading.Event()

    def pump():
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        q.put(block, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)
        finally:
            close = getattr(blocks, "close", None)
            if close:
                close()  # releases the HTTP response even when the consumer gave up early

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()

"""The first signing key is made once, however many requests find none at the same moment."""

from __future__ import annotations

import threading

from evidence.audit import signing
from evidence.config import get_settings


def test_requests_that_all_find_no_key_end_with_one_key(tmp_path, monkeypatch):
    monkeypatch.setenv("EVIDENCE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EVIDENCE_SIGNING_KEY", raising=False)
    get_settings.cache_clear()
    path = signing.key_file()
    assert path == tmp_path / "secrets" / "signing_key.pem"
    start, got, errors = threading.Barrier(8), [], []

    def first_use():
        start.wait()
        try:
            got.append(signing.fingerprint_of(signing.load_private()))
        except Exception as exc:  # noqa: BLE001  (what the export saw: a failed rename)
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(got)) == 1, (errors, got)
    assert sorted(p.name for p in path.parent.iterdir()) == ["signing_key.pem"], "no temporary file is left"
    assert path.stat().st_mode & 0o777 == 0o600
    get_settings.cache_clear()

"""The service's generated secrets, made on first use and kept in data_dir/secrets.

One place creates and keeps every secret the service generates for itself: the key that signs
login tokens, the S3 secret of the single box, the Ed25519 signing key and the first admin's
password. A configured value (EVIDENCE_SECRET_KEY, EVIDENCE_S3_SECRET_KEY, EVIDENCE_SIGNING_KEY)
always wins over the file.

The folder is mode 700 and each file mode 600. A secret is written whole to a temporary file and
then hard-linked to its name, which fails if the name exists: when two processes start at once,
one wins and the other reads the winner's value, and nobody ever reads half a key.

(Station API keys are not kept here: they are per-station credentials shown once and stored
hashed in the database.)
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from evidence.config import get_settings

TOKEN_KEY = "secret_key"
S3_SECRET = "s3_secret_key"
SIGNING_KEY = "signing_key.pem"
INITIAL_ADMIN_PASSWORD = "initial_admin_password"


def secrets_dir(data_dir: Path | None = None) -> Path:
    return (data_dir if data_dir is not None else get_settings().data_dir) / "secrets"


def secret_path(name: str, data_dir: Path | None = None) -> Path:
    return secrets_dir(data_dir) / name


def _private_dir(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        try:
            folder.chmod(0o700)  # made by an older version with the default mode
        except PermissionError:
            pass


def _temp_copy(folder: Path, name: str, data: bytes) -> Path:
    """`data` fully written and synced to a fresh mode-600 file beside its destination."""
    tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def write_secret(path: Path, data: bytes) -> None:
    """Replace the secret at `path` (mode 600) in one step: never half a key (e.g. a key rotation).

    `path` may be outside data_dir/secrets (a key written for the operator): that folder's mode is
    left as it is."""
    if path.parent.resolve() == secrets_dir().resolve():
        _private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_copy(path.parent, path.name, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def kept(name: str, make: Callable[[], bytes], data_dir: Path | None = None) -> str:
    """The secret `name` from data_dir/secrets; made with `make()` and kept if there is none yet.

    Safe when several processes ask at the same moment: all of them get the same value.
    """
    path = secret_path(name, data_dir)
    try:
        return path.read_text()
    except FileNotFoundError:
        pass
    _private_dir(path.parent)
    tmp = _temp_copy(path.parent, name, make())
    try:
        os.link(tmp, path)  # atomic, and refuses to replace a secret another process kept first
    except FileExistsError:
        pass  # another process won: use its value
    except OSError as exc:  # a file system without hard links
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if not path.exists():
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text()


def _token() -> bytes:
    return secrets.token_urlsafe(32).encode()


def kept_token(name: str, configured: str = "", data_dir: Path | None = None) -> str:
    """A configured secret, else a random URL-safe token generated once and kept under `name`."""
    return configured or kept(name, _token, data_dir).strip()


def token_key() -> str:
    """The key that signs login tokens (EVIDENCE_SECRET_KEY, else generated and kept)."""
    return kept_token(TOKEN_KEY, get_settings().secret_key)


def s3_secret() -> str:
    """The S3 secret key (EVIDENCE_S3_SECRET_KEY, else generated and kept for the single box)."""
    return kept_token(S3_SECRET, get_settings().s3_secret_key)


def signing_key_pem(make: Callable[[], bytes]) -> str:
    """The Ed25519 private key as PEM (EVIDENCE_SIGNING_KEY, else made with `make()` and kept)."""
    return get_settings().signing_key or kept(SIGNING_KEY, make)


def initial_admin_password(data_dir: Path | None = None) -> str:
    """The first admin's password, generated once and kept so the operator can read it."""
    return kept(INITIAL_ADMIN_PASSWORD, lambda: (secrets.token_urlsafe(12) + "\n").encode(), data_dir).strip()

"""Ed25519 signatures on report PDFs.

The signature covers the exact bytes of the PDF up to and including its ``%%EOF`` line
and follows them in one trailing comment line::

    %xinyong-report <report id> <base64 signature>

PDF readers ignore comments after ``%%EOF``, so the file stays an ordinary PDF; changing
any byte before the line (or the id in it) makes the signature fail.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xinyong.errors import Unavailable

KEY_PATH_ENV = "XINYONG_REPORT_KEY_PATH"
DEFAULT_KEY_PATH = Path("var/report-signing-key.pem")
MARKER = b"%xinyong-report "


def key_path() -> Path:
    """Where the signing key lives: ``$XINYONG_REPORT_KEY_PATH`` or the default."""
    return Path(os.environ.get(KEY_PATH_ENV) or DEFAULT_KEY_PATH)


def signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The platform's report-signing key, created (mode 0600) on first use."""
    path = path or key_path()
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileExistsError:  # another process created it first
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise Unavailable(
            f"the report signing key {path} cannot be used: {e}", code="report_key_unavailable"
        ) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise Unavailable(
            f"the report signing key {path} is not an Ed25519 key", code="report_key_unavailable"
        )
    return loaded


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _signed_part(pdf: bytes, report_id: str) -> bytes:
    return pdf + MARKER + report_id.encode("ascii")


def sign(pdf: bytes, report_id: str, key: Ed25519PrivateKey) -> bytes:
    """The PDF with its signature line appended."""
    if not pdf.endswith(b"\n"):
        pdf += b"\n"
    signature = key.sign(_signed_part(pdf, report_id))
    return _signed_part(pdf, report_id) + b" " + base64.b64encode(signature) + b"\n"


@dataclass(frozen=True)
class Checked:
    """What a signature check found: the report id (if the line was there), and a
    ``problem`` (``None`` when the signature is valid)."""

    report_id: str | None
    problem: str | None

    @property
    def valid(self) -> bool:
        return self.problem is None


def check(data: bytes, key: Ed25519PrivateKey) -> Checked:
    """Whether ``data`` is a PDF signed by ``key``, unchanged since."""
    at = data.rfind(b"\n" + MARKER)
    if at < 0 or not data.startswith(b"%PDF-"):
        return Checked(None, "no xinyong signature in this file")
    pdf = data[: at + 1]
    line = data[at + 1 + len(MARKER) :]
    if not line.endswith(b"\n") or line.count(b"\n") != 1:
        return Checked(None, "the signature line is malformed")
    parts = line[:-1].split(b" ")
    if len(parts) != 2:
        return Checked(None, "the signature line is malformed")
    try:
        report_id = parts[0].decode("ascii")
        signature = base64.b64decode(parts[1], validate=True)
    except (UnicodeDecodeError, binascii.Error):
        return Checked(None, "the signature line is malformed")
    if base64.b64encode(signature) != parts[1]:  # one encoding only: no spare bits
        return Checked(report_id, "the signature line is malformed")
    if not pdf.rstrip().endswith(b"%%EOF"):
        return Checked(report_id, "the signature does not follow the end of the PDF")
    try:
        key.public_key().verify(signature, _signed_part(pdf, report_id))
    except InvalidSignature:
        return Checked(report_id, "the signature does not match: the file was altered")
    return Checked(report_id, None)

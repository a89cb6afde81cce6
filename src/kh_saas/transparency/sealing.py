"""Signing keys at rest: AES-256-GCM under a key derived from ``KH_SECRET_KEY``.

Without ``KH_SECRET_KEY`` a random secret is made once in ``<data_dir>/secret.key`` (mode
0600), which suits one machine; a deployment of several processes on several machines must
set ``KH_SECRET_KEY`` alike on all. Each sealed value is bound (as associated data) to where
it belongs, so a sealed key copied into another tenant's row does not open.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kh_saas.tenants.keys import write_secret_file

_VERSION = b"\x01"
SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class SealError(ValueError):
    """A sealed value does not open: another secret, another place, or altered."""


class Sealer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the secret must have at least 16 bytes")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"kh-saas sealed keys v1"
        ).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, bound_to: str) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, bound_to.encode())

    def open(self, sealed: bytes, bound_to: str) -> bytes:
        if sealed[:1] != _VERSION or len(sealed) < 29:
            raise SealError("not a sealed value")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], bound_to.encode())
        except InvalidTag as exc:
            raise SealError(
                "a sealed signing key does not open: is KH_SECRET_KEY (or secret.key) the one "
                "it was sealed with?"
            ) from exc


def sealer_for(secret_key: str | None, data_dir: Path) -> Sealer:
    """``KH_SECRET_KEY``, else the data directory's ``secret.key`` (made once, 0600)."""
    if secret_key:
        return Sealer(secret_key.encode())
    path = data_dir.resolve() / SECRET_FILE
    if not path.exists():
        # Written aside, then linked into place: two processes starting together agree on
        # the first secret linked, and neither reads a half-written file.
        aside = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        write_secret_file(aside, secrets.token_hex(32))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return Sealer(path.read_text().strip().encode())

"""Encryption of personal data at rest (ID numbers, phones, institution API secrets).

One 32-byte master key, base64 (urlsafe or standard), from env `TONGCHOU_DATA_KEY`,
or from the file env `TONGCHOU_DATA_KEY_FILE` names. Without either, a DEVELOPMENT
key written below is used and a warning is given: never run a real region on it.

Two keys are derived from the master with HKDF-SHA256:
- an AES-256-GCM key: `encrypt` gives `v1:` + base64(nonce ‖ ciphertext), the column
  name is bound as associated data so a value cannot be moved to another column;
- an HMAC-SHA256 key: `lookup_hash` gives a stable keyed hash to find a person by
  ID number without decrypting every row (a plain hash of an ID number is guessable).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_ENV = "TONGCHOU_DATA_KEY"
KEY_FILE_ENV = "TONGCHOU_DATA_KEY_FILE"
# DEVELOPMENT ONLY — public in the source tree. Set TONGCHOU_DATA_KEY for any real data.
DEV_DEFAULT_KEY = "dG9uZ2Nob3UtREVWLWtleS1OT1QtZm9yLXJlYWwhISE="  # b"tongchou-DEV-key-NOT-for-real!!!"
PREFIX = "v1:"


class DataKeyError(ValueError):
    """The configured data key is unusable (names the variable that holds it)."""


def _decode_key(text: str, origin: str) -> bytes:
    raw = text.strip().encode()
    for decoder in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            key = decoder(raw + b"=" * (-len(raw) % 4))
        except ValueError:
            continue
        if len(key) == 32:
            return key
    raise DataKeyError(f"{origin}: the data key must be 32 bytes, base64-encoded")


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tongchou", info=purpose).derive(master)


@dataclass(frozen=True)
class DataCipher:
    """Encrypts and looks up personal data with keys derived from one master key."""

    master: bytes
    is_dev_key: bool = False

    @property
    def _aead(self) -> AESGCM:
        return AESGCM(_derive(self.master, b"column-encryption"))

    @property
    def _mac_key(self) -> bytes:
        return _derive(self.master, b"lookup-hmac")

    def encrypt(self, plaintext: str | None, column: str) -> str | None:
        if plaintext is None:
            return None
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), column.encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str | None, column: str) -> str | None:
        if token is None:
            return None
        if not token.startswith(PREFIX):
            raise DataKeyError(f"{column}: not an encrypted value")
        blob = base64.b64decode(token[len(PREFIX):])
        return self._aead.decrypt(blob[:12], blob[12:], column.encode()).decode("utf-8")

    def lookup_hash(self, value: str | None, column: str) -> str | None:
        if value is None:
            return None
        normalised = value.strip().upper()
        return hmac.new(self._mac_key, f"{column}:{normalised}".encode(), hashlib.sha256).hexdigest()


def cipher_from_environment() -> DataCipher:
    """The cipher configured by the environment (dev default with a warning)."""
    if os.environ.get(KEY_ENV):
        return _cached(os.environ[KEY_ENV], KEY_ENV, False)
    if os.environ.get(KEY_FILE_ENV):
        path = Path(os.environ[KEY_FILE_ENV])
        if not path.is_file():
            raise DataKeyError(f"{KEY_FILE_ENV}: no such file {path}")
        return _cached(path.read_text(encoding="utf-8"), str(path), False)
    warnings.warn(f"{KEY_ENV} is not set: personal data is encrypted with the public DEVELOPMENT key",
                  stacklevel=2)
    return _cached(DEV_DEFAULT_KEY, "DEV_DEFAULT_KEY", True)


@lru_cache(maxsize=8)
def _cached(text: str, origin: str, dev: bool) -> DataCipher:
    return DataCipher(_decode_key(text, origin), dev)


def new_key() -> str:
    """A fresh master key, base64, for `TONGCHOU_DATA_KEY`."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")

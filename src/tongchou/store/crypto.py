"""Encryption of personal data at rest (ID numbers, phones, institution API secrets).

One 32-byte master key, base64 (urlsafe or standard), from env `TONGCHOU_DATA_KEY`,
or from the file env `TONGCHOU_DATA_KEY_FILE` names. Without either, a DEVELOPMENT
key written below is used and a warning is given: never run a real region on it.

Two keys are derived from the master with HKDF-SHA256:
- an AES-256-GCM key: `encrypt` gives `v2:<key id>:` + base64(nonce ‖ ciphertext), the column
  name is bound as associated data so a value cannot be moved to another column; the key id
  (8 hex characters derived from the master, not secret) says which master sealed it. Values
  written before key ids existed read `v1:` + base64(…) and are opened by trying each key;
- an HMAC-SHA256 key: `lookup_hash` gives a stable keyed hash to find a person by
  ID number without decrypting every row (a plain hash of an ID number is guessable).

Key rotation: `TONGCHOU_PREVIOUS_DATA_KEYS` (comma-separated, base64) are older masters still
readable; `tongchou keys rotate` re-encrypts every value under the current key. The lookup
hash does NOT rotate with the data key (it is unique-indexed and searched by): its master is
`TONGCHOU_LOOKUP_KEY`, which defaults to `TONGCHOU_DATA_KEY` only while no previous key is
configured — set it to the original master before (or when) rotating.
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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_ENV = "TONGCHOU_DATA_KEY"
KEY_FILE_ENV = "TONGCHOU_DATA_KEY_FILE"
PREVIOUS_KEYS_ENV = "TONGCHOU_PREVIOUS_DATA_KEYS"
LOOKUP_KEY_ENV = "TONGCHOU_LOOKUP_KEY"
# DEVELOPMENT ONLY — public in the source tree. Set TONGCHOU_DATA_KEY for any real data.
DEV_DEFAULT_KEY = "dG9uZ2Nob3UtREVWLWtleS1OT1QtZm9yLXJlYWwhISE="  # b"tongchou-DEV-key-NOT-for-real!!!"
PREFIX = "v1:"  # legacy: no key id
PREFIX_V2 = "v2:"


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


@lru_cache(maxsize=64)
def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tongchou", info=purpose).derive(master)


def key_id(master: bytes) -> str:
    """The public identifier of a master key (8 hex characters); reveals nothing usable about it."""
    return _derive(master, b"key-id").hex()[:8]


@dataclass(frozen=True)
class DataCipher:
    """Encrypts and looks up personal data with keys derived from one master key.

    `previous`: older masters whose values can still be read (during and after a rotation);
    `lookup_master`: the master the lookup HMAC key derives from (default `master`)."""

    master: bytes
    is_dev_key: bool = False
    previous: tuple[bytes, ...] = ()
    lookup_master: bytes | None = None

    @property
    def key_id(self) -> str:
        return key_id(self.master)

    @property
    def _aead(self) -> AESGCM:
        return AESGCM(_derive(self.master, b"column-encryption"))

    @property
    def _mac_key(self) -> bytes:
        return _derive(self.lookup_master or self.master, b"lookup-hmac")

    def _keys(self) -> dict[str, bytes]:
        keys = {key_id(old): old for old in reversed(self.previous)}
        keys[self.key_id] = self.master
        return keys

    def encrypt(self, plaintext: str | None, column: str) -> str | None:
        if plaintext is None:
            return None
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), column.encode())
        return f"{PREFIX_V2}{self.key_id}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str | None, column: str) -> str | None:
        if token is None:
            return None
        if token.startswith(PREFIX_V2):
            kid, _, body = token[len(PREFIX_V2):].partition(":")
            master = self._keys().get(kid)
            if master is None:
                raise DataKeyError(f"{column}: sealed with key {kid}, which is not configured "
                                   f"({KEY_ENV} or {PREVIOUS_KEYS_ENV})")
            return _open(master, body, column)
        if not token.startswith(PREFIX):
            raise DataKeyError(f"{column}: not an encrypted value")
        body = token[len(PREFIX):]
        failure: Exception | None = None
        for master in (self.master, *self.previous):
            try:
                return _open(master, body, column)
            except InvalidTag as exc:
                failure = exc
        raise failure or DataKeyError(f"{column}: no key opens this value")

    def is_current(self, token: str | None) -> bool:
        """Whether the value is sealed with the current key (None counts as current: nothing to rotate)."""
        return token is None or token.startswith(f"{PREFIX_V2}{self.key_id}:")

    def token_key_id(self, token: str | None) -> str | None:
        if token is None:
            return None
        if token.startswith(PREFIX_V2):
            return token[len(PREFIX_V2):].partition(":")[0]
        return "v1"

    def rotated(self, new_master: bytes) -> DataCipher:
        """The cipher after a rotation to `new_master`: the old keys stay readable, the lookup key stays."""
        if new_master == self.master:
            raise DataKeyError("the new key is the current key")
        return DataCipher(new_master, False, (self.master, *self.previous), self.lookup_master or self.master)

    def lookup_hash(self, value: str | None, column: str) -> str | None:
        if value is None:
            return None
        normalised = value.strip().upper()
        return hmac.new(self._mac_key, f"{column}:{normalised}".encode(), hashlib.sha256).hexdigest()


def _open(master: bytes, body: str, column: str) -> str:
    blob = base64.b64decode(body)
    return AESGCM(_derive(master, b"column-encryption")).decrypt(blob[:12], blob[12:], column.encode()).decode("utf-8")


def cipher_from_environment() -> DataCipher:
    """The cipher configured by the environment (dev default with a warning), with the previous keys
    (`TONGCHOU_PREVIOUS_DATA_KEYS`) and the lookup key (`TONGCHOU_LOOKUP_KEY`)."""
    base = _primary()
    previous = tuple(_decode_key(part, PREVIOUS_KEYS_ENV)
                     for part in os.environ.get(PREVIOUS_KEYS_ENV, "").split(",") if part.strip())
    lookup_text = os.environ.get(LOOKUP_KEY_ENV, "").strip()
    if not previous and not lookup_text:
        return base
    if previous and not lookup_text:
        raise DataKeyError(f"{PREVIOUS_KEYS_ENV} is set: set {LOOKUP_KEY_ENV} too (the master the ID-number "
                           f"look-up hashes were made with, usually the original {KEY_ENV})")
    lookup = _decode_key(lookup_text, LOOKUP_KEY_ENV)
    return DataCipher(base.master, base.is_dev_key, previous, lookup)


def _primary() -> DataCipher:
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


def decode_key(text: str, origin: str = "key") -> bytes:
    """A 32-byte master from its base64 text (`DataKeyError` naming `origin` otherwise)."""
    return _decode_key(text, origin)


def new_key() -> str:
    """A fresh master key, base64, for `TONGCHOU_DATA_KEY`."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")

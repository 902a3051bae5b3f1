"""Request signatures of docs/reference/contracts.md, shared by the service and `tongchou.client`.

x-tif-signature = lowercase hex HMAC-SHA256(secret, timestamp + nonce + sha256hex(raw body)).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

WINDOW_SECONDS = 300
NONCE_MIN, NONCE_MAX = 16, 64
HEADERS = ("x-tif-paasid", "x-tif-timestamp", "x-tif-nonce", "x-tif-signature")


class SignatureError(Exception):
    """A request that is not signed, signed wrongly, expired or replayed (HTTP 401)."""


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = (timestamp + nonce + body_digest(body)).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_headers(code: str, secret: str, body: bytes, *, now: float | None = None, nonce: str | None = None
                 ) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_hex(16)
    return {
        "x-tif-paasid": code,
        "x-tif-timestamp": timestamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": signature(secret, timestamp, nonce, body),
    }


@dataclass(frozen=True)
class SignedRequest:
    institution: str
    timestamp: str  # as sent: the signature covers these exact characters
    nonce: str
    signature: str


def read_headers(headers: dict[str, str]) -> SignedRequest:
    """The four signature headers, checked for presence and form."""
    missing = [name for name in HEADERS if not headers.get(name)]
    if missing:
        raise SignatureError(f"missing header {missing[0]}")
    stamp = headers["x-tif-timestamp"]
    if not stamp.isdigit():
        raise SignatureError("x-tif-timestamp must be Unix seconds in decimal")
    nonce = headers["x-tif-nonce"]
    if not NONCE_MIN <= len(nonce) <= NONCE_MAX:
        raise SignatureError(f"x-tif-nonce must be {NONCE_MIN} to {NONCE_MAX} characters")
    return SignedRequest(headers["x-tif-paasid"], stamp, nonce, headers["x-tif-signature"].lower())


def verify(request: SignedRequest, secrets_in_force: list[str], body: bytes, now: float) -> None:
    """Raise SignatureError unless the request is fresh and signed with one of the institution's secrets.

    Several secrets may be in force at once while a rotation's grace period runs.
    """
    if abs(now - int(request.timestamp)) > WINDOW_SECONDS:
        raise SignatureError("request outside the 300-second window")
    for secret in secrets_in_force:
        if hmac.compare_digest(signature(secret, request.timestamp, request.nonce, body), request.signature):
            return
    raise SignatureError("bad signature")

"""Request signatures of docs/reference/contracts.md, shared by the service and `tongchou.client`.

Two recipes, chosen per institution by the bureau (`tongchou institution credentials issue|rotate CODE
--signature hmac|gateway`):

- `hmac` (the default): x-tif-signature = lowercase hex HMAC-SHA256(secret, timestamp + nonce +
  sha256hex(raw body)); nonces of 16 to 64 characters. It covers the body.
- `gateway` (the national gateway's, which existing HIS integrations send): x-tif-signature = SHA-256 hex
  (either case) of timestamp + secret + nonce + timestamp; nonces of 6 to 64 characters. It does not
  cover the body (docs/security.md says what compensates).

Both: x-tif-paasid the institution code, x-tif-timestamp Unix seconds within 300 seconds of now, a
nonce never accepted twice (api/security.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

WINDOW_SECONDS = 300
HMAC, GATEWAY = "hmac", "gateway"
RECIPES = (HMAC, GATEWAY)
NONCE_MIN = {HMAC: 16, GATEWAY: 6}
NONCE_MAX = 64
HEADERS = ("x-tif-paasid", "x-tif-timestamp", "x-tif-nonce", "x-tif-signature")


class SignatureError(Exception):
    """A request that is not signed, signed wrongly, expired or replayed (HTTP 401)."""


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signature(secret: str, timestamp: str, nonce: str, body: bytes, recipe: str = HMAC) -> str:
    if recipe == GATEWAY:
        return hashlib.sha256((timestamp + secret + nonce + timestamp).encode("utf-8")).hexdigest()
    message = (timestamp + nonce + body_digest(body)).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_headers(code: str, secret: str, body: bytes, *, now: float | None = None, nonce: str | None = None,
                 recipe: str = HMAC) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_hex(16)
    return {
        "x-tif-paasid": code,
        "x-tif-timestamp": timestamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": signature(secret, timestamp, nonce, body, recipe),
    }


@dataclass(frozen=True)
class SignedRequest:
    institution: str
    timestamp: str  # as sent: the signature covers these exact characters
    nonce: str
    signature: str


@dataclass(frozen=True)
class Secret:
    """A secret in force and the recipe it signs with."""

    value: str
    recipe: str = HMAC


def read_headers(headers: dict[str, str]) -> SignedRequest:
    """The four signature headers, checked for presence and form (the nonce's least length is the recipe's,
    checked by `verify`)."""
    missing = [name for name in HEADERS if not headers.get(name)]
    if missing:
        raise SignatureError(f"missing header {missing[0]}")
    stamp = headers["x-tif-timestamp"]
    if not stamp.isdigit():
        raise SignatureError("x-tif-timestamp must be Unix seconds in decimal")
    nonce = headers["x-tif-nonce"]
    if not min(NONCE_MIN.values()) <= len(nonce) <= NONCE_MAX:
        raise SignatureError(f"x-tif-nonce must be {min(NONCE_MIN.values())} to {NONCE_MAX} characters")
    return SignedRequest(headers["x-tif-paasid"], stamp, nonce, headers["x-tif-signature"].lower())


def verify(request: SignedRequest, secrets_in_force: list[Secret | str], body: bytes, now: float) -> None:
    """Raise SignatureError unless the request is fresh and signed with one of the institution's secrets,
    by that secret's recipe.

    Several secrets may be in force at once while a rotation's grace period runs.
    """
    if abs(now - int(request.timestamp)) > WINDOW_SECONDS:
        raise SignatureError("request outside the 300-second window")
    short = False
    for secret in secrets_in_force:
        secret = secret if isinstance(secret, Secret) else Secret(secret)
        if len(request.nonce) < NONCE_MIN[secret.recipe]:
            short = True
            continue
        expected = signature(secret.value, request.timestamp, request.nonce, body, secret.recipe)
        if hmac.compare_digest(expected, request.signature):
            return
    if short:
        raise SignatureError(f"x-tif-nonce must be {NONCE_MIN[HMAC]} to {NONCE_MAX} characters")
    raise SignatureError("bad signature")

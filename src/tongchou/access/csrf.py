"""CSRF tokens: the session's token (synchroniser pattern) and, before sign-in, a double-submit token.

Every state-changing request (POST) must carry the token in the form field `csrf_token` or the
header `X-CSRF-Token` (HTMX sends the header); the comparison is constant-time.
"""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf_token"
HEADER = "x-csrf-token"
PRE_SESSION_COOKIE = "tongchou_signin_csrf"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())

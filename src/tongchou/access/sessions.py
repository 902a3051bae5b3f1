"""Server-side console sessions.

The cookie holds a random token (32 bytes, URL-safe); the table keeps only its SHA-256, so a
leaked table cannot be replayed. A session ends after `IDLE` (30 minutes) without a request,
after `ABSOLUTE` (8 hours) whatever happens, or at sign-out (revoked). Each session has its own
CSRF token, which every form and HTMX request must send back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from tongchou.clock import Clock, as_utc, utc_now
from tongchou.access.models import ConsoleSession, ConsoleUser
from tongchou.access.permissions import Principal, RoleBook, load_roles
from tongchou.access.users import principal_of
from tongchou.store.uow import Store

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=8)
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class Started:
    token: str  # for the cookie; never stored
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Current:
    principal: Principal
    csrf_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class SessionService:
    def __init__(self, store: Store, roles: RoleBook | None = None, now: Clock = utc_now,
                 idle: dt.timedelta = IDLE, absolute: dt.timedelta = ABSOLUTE):
        self.store = store
        self.roles = roles or load_roles()
        self.now = now
        self.idle = idle
        self.absolute = absolute

    def start(self, principal: Principal) -> Started:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.now()
        expires = now + self.absolute

        def work(session: Session) -> None:
            session.add(ConsoleSession(token_hash=token_hash(token), user_id=principal.user_id, csrf_token=csrf,
                                       created_at=now, last_seen_at=now, expires_at=expires))
        self.store.transaction(work)
        return Started(token, csrf, expires)

    def current(self, token: str | None) -> Current | None:
        """The session's user and CSRF token, or None when missing, expired, revoked or the user is disabled."""
        if not token:
            return None
        return self.store.transaction(lambda s: self._current(s, token_hash(token)))

    def _current(self, session: Session, digest: str) -> Current | None:
        row = session.get(ConsoleSession, digest)
        if row is None or row.revoked_at is not None:
            return None
        now = self.now()
        if as_utc(row.expires_at) <= now or as_utc(row.last_seen_at) + self.idle <= now:
            return None
        user = session.get(ConsoleUser, row.user_id)
        if user is None or not user.active:
            return None
        if now - as_utc(row.last_seen_at) >= TOUCH_EVERY:
            row.last_seen_at = now
        return Current(principal_of(user, self.roles), row.csrf_token)

    def end(self, token: str | None) -> None:
        if not token:
            return
        now = self.now()
        self.store.transaction(lambda s: s.execute(update(ConsoleSession).where(
            ConsoleSession.token_hash == token_hash(token), ConsoleSession.revoked_at.is_(None)).values(revoked_at=now)))

"""The gate of the API: institution credentials (issued and rotated by the bureau), nonces shared by
every worker through the database, a per-institution rate limit, and the per-worker caches.

- The current secret of an institution is `Institution.secret_enc` (encrypted); a rotation moves the
  old one to `api_credential` with `valid_until` = now + grace, so both verify during the grace period.
- A nonce is claimed by inserting (institution, nonce); a second insert within the window fails, in
  any worker. Claims commit with `synchronous_commit = off` on PostgreSQL: a nonce lost in a server
  crash could be replayed only within the 300-second window of a request already answered once.
- Workers cache secrets (and the service caches the catalogue) until the table's row in
  `cache_generation` moves (triggers bump it on every change); the counters are read at most once a
  second, and a request whose signature fails against cached secrets is checked again uncached.
"""

from __future__ import annotations

import datetime as dt
import secrets as secrets_module
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.orm import Session

from tongchou.api import messages
from tongchou.api.signing import HMAC, RECIPES, Secret, SignatureError, SignedRequest, verify
from tongchou.store import models as m
from tongchou.store.cache import Generations
from tongchou.store.crypto import DataCipher
from tongchou.errors import InvalidRequest, NotFound
from tongchou.store.uow import Store, insert_new

SECRET_COLUMN = "institution.secret"
NONCE_PURGE_SECONDS = 60.0


# ---------------------------------------------------------------- credentials

@dataclass(frozen=True)
class CredentialInfo:
    code: str
    name: str
    has_secret: bool
    in_grace: int  # rotated-out secrets still valid
    grace_until: dt.datetime | None
    signature: str = HMAC


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_secret() -> str:
    return secrets_module.token_urlsafe(32)


class Credentials:
    """Issue, rotate, list and look up the secrets of institutions."""

    def __init__(self, store: Store, cipher: DataCipher, generations: Generations | None = None,
                 now: Callable[[], dt.datetime] = _utcnow):
        self.store = store
        self.cipher = cipher
        self.generations = generations
        self.now = now
        self._cache: dict[str, tuple[int, int, list[Secret]]] = {}
        self._lock = threading.Lock()

    # -------------------------------------------------- bureau side

    def issue(self, code: str, signature: str = HMAC) -> str:
        """A first secret for an institution that has none (use `rotate` to replace one), signing by the
        recipe `signature` (`hmac` or `gateway`)."""
        _check_recipe(signature)
        def work(session: Session) -> str:
            institution = self._institution(session, code)
            if institution.secret_enc:
                raise InvalidRequest("code", f"定点医药机构{code}已有密钥，请使用 rotate 轮换。", "has_secret")
            secret = new_secret()
            institution.secret_enc = self.cipher.encrypt(secret, SECRET_COLUMN)
            institution.signature = signature
            return secret
        return self.store.transaction(work)

    def rotate(self, code: str, grace_hours: float = 24.0, signature: str | None = None) -> str:
        """A new secret; the old one stays valid for `grace_hours`, by the recipe it signed with. The new
        one signs by `signature`, or by the institution's recipe so far when None."""
        if signature is not None:
            _check_recipe(signature)
        def work(session: Session) -> str:
            institution = self._institution(session, code)
            if institution.secret_enc:
                session.add(m.ApiCredential(fixmedins_code=code, secret_enc=institution.secret_enc,
                                            issued_at=None, valid_until=self.now() + dt.timedelta(hours=grace_hours),
                                            signature=institution.signature or HMAC))
            secret = new_secret()
            institution.secret_enc = self.cipher.encrypt(secret, SECRET_COLUMN)
            institution.signature = signature or institution.signature or HMAC
            return secret
        secret = self.store.transaction(work)
        self.forget(code)
        return secret

    def list(self) -> list[CredentialInfo]:
        def work(session: Session) -> list[CredentialInfo]:
            now = self.now()
            graces: dict[str, list[dt.datetime]] = {}
            for row in session.execute(select(m.ApiCredential)).scalars():
                until = _aware(row.valid_until)
                if until > now:
                    graces.setdefault(row.fixmedins_code, []).append(until)
            return [CredentialInfo(i.code, i.name, bool(i.secret_enc), len(graces.get(i.code, [])),
                                   max(graces[i.code]) if i.code in graces else None, i.signature or HMAC)
                    for i in session.execute(select(m.Institution).order_by(m.Institution.code)).scalars()]
        return self.store.read(work)

    @staticmethod
    def _institution(session: Session, code: str) -> m.Institution:
        institution = session.get(m.Institution, code)
        if institution is None:
            raise NotFound("code", f"定点医药机构{code}不存在。")
        return institution

    # -------------------------------------------------- service side

    def secrets_for(self, code: str, *, fresh: bool = False) -> list[Secret]:
        """The secrets in force for an institution (current first) with their recipes, cached per worker."""
        key = self._generation_key()
        with self._lock:
            cached = self._cache.get(code)
        if cached and not fresh and (cached[0], cached[1]) == key:
            return cached[2]
        found = self.store.read(lambda s: self._load(s, code))
        with self._lock:
            self._cache[code] = (*key, found)
        return found

    def _generation_key(self) -> tuple[int, int]:
        if self.generations is None:
            return (-1, -1)
        return self.generations.current("institution"), self.generations.current("api_credential")

    def _load(self, session: Session, code: str) -> list[Secret]:
        institution = session.get(m.Institution, code)
        if institution is None:
            return []
        found = [Secret(self.cipher.decrypt(institution.secret_enc, SECRET_COLUMN), institution.signature or HMAC)
                 ] if institution.secret_enc else []
        now = self.now()
        rows = session.execute(select(m.ApiCredential.secret_enc, m.ApiCredential.valid_until,
                                      m.ApiCredential.signature).where(m.ApiCredential.fixmedins_code == code)).all()
        found += [Secret(self.cipher.decrypt(enc, SECRET_COLUMN), recipe or HMAC)
                  for enc, until, recipe in rows if _aware(until) > now]
        return found

    def forget(self, code: str) -> None:
        with self._lock:
            self._cache.pop(code, None)

    def verify(self, request: SignedRequest, body: bytes, now: float) -> None:
        """Raise SignatureError unless the request is signed by a secret in force (checked uncached
        once more before refusing, so a secret issued a moment ago works at once)."""
        try:
            verify(request, self.secrets_for(request.institution), body, now)
        except SignatureError as first:
            if str(first).startswith("request outside"):
                raise
            verify(request, self.secrets_for(request.institution, fresh=True), body, now)


def _check_recipe(signature: str) -> None:
    if signature not in RECIPES:
        raise InvalidRequest("signature", f"签名方式应为 {' 或 '.join(RECIPES)}。")


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- nonces

# One statement, its own transaction: the first CTE sets synchronous_commit off for that transaction alone
# (a nonce needs no fsync, see the module docstring) and the INSERT reads from it so that it runs first; the
# message already recorded under the request's msgid, if any, comes back in the same round trip.
_PG_CLAIM = text("""
WITH async AS (SELECT set_config('synchronous_commit', 'off', true)),
claimed AS (INSERT INTO api_nonce (fixmedins_code, nonce, expires_at)
            SELECT :fixmedins_code, :nonce, :expires_at FROM async
            ON CONFLICT DO NOTHING RETURNING nonce)
SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, m.infno, m.input_hash, m.status, m.output, m.subject
FROM (SELECT 1) AS one
LEFT JOIN api_message AS m ON m.fixmedins_code = :fixmedins_code AND m.msgid = :msgid
""")


@dataclass(frozen=True)
class NonceClaim:
    """A nonce claim: whether it was the first, and the columns of the message recorded under the msgid."""

    claimed: bool
    message: Any | None  # infno, input_hash, status, output, subject; None when no message has that msgid


class NonceBook:
    """Nonces of signed requests, in the database so that every worker refuses a replay."""

    def __init__(self, store: Store, window: int, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.window = window
        self.clock = clock
        self._purged_at = float("-inf")
        self._lock = threading.Lock()

    def claim(self, code: str, nonce: str, now: float, msgid: str = "") -> NonceClaim:
        """Claim (institution, nonce), first time only within the window; with the message recorded under
        `msgid`, read in the same round trip on PostgreSQL."""
        found = self.store.statement(lambda c: self._claim(c, code, nonce, int(now) + self.window, msgid))
        self._maybe_purge(now)
        return found

    @staticmethod
    def _claim(connection: Connection, code: str, nonce: str, expires_at: int, msgid: str) -> NonceClaim:
        values = {"fixmedins_code": code, "nonce": nonce, "expires_at": expires_at}
        if connection.dialect.name == "postgresql":
            row = connection.execute(_PG_CLAIM, {**values, "msgid": msgid}).one()
            return NonceClaim(row.claimed, row if row.infno is not None else None)
        claimed = connection.execute(insert_new("sqlite", m.ApiNonce.__table__, "nonce"), values).first() is not None
        return NonceClaim(claimed, connection.execute(messages.LOOKUP, {"code": code, "msgid": msgid}).first())

    def purge_due(self) -> bool:
        """Whether the next claim would purge the expired nonces (the hot path then purges in a thread)."""
        return self.clock() - self._purged_at >= NONCE_PURGE_SECONDS

    def purge(self, now: float) -> None:
        self._maybe_purge(now)

    def _maybe_purge(self, now: float) -> None:
        with self._lock:
            if self.clock() - self._purged_at < NONCE_PURGE_SECONDS:
                return
            self._purged_at = self.clock()
        self.store.statement(lambda c: c.execute(delete(m.ApiNonce).where(m.ApiNonce.expires_at < int(now))))


# ---------------------------------------------------------------- rate limit

class RateLimiter:
    """A token bucket per institution, per worker: `rate` requests a second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, code: str) -> bool:
        if self.rate <= 0:
            return True
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(code, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[code] = (tokens, now)
                return False
            self._buckets[code] = (tokens - 1, now)
            return True

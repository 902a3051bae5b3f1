"""Console users: add, change password, list, and authenticate with lockout.

Lockout: after `MAX_FAILURES` (5) wrong passwords in a row the account is locked for
`LOCKOUT` (15 minutes); while locked even the right password is refused; a successful
sign-in resets the count. Messages are in Chinese and never say whether a name exists.

Every sign-in attempt — success, wrong password, locked account, unknown name — is written to the
audit trail in the same transaction as the lockout counters (`signin.success` / `signin.failure`,
with the outcome and the caller's address). An unknown name is recorded by a short SHA-256 prefix of
what was typed (it may be a mistyped password), never in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.access import passwords
from tongchou.clock import Clock, as_utc, utc_now
from tongchou.access.models import ConsoleUser
from tongchou.access.permissions import COUNTY, Principal, RoleBook, load_roles
from tongchou.store import models as m
from tongchou.store.uow import Store

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
BAD_CREDENTIALS = "用户名或密码不正确。"


class AccessError(ValueError):
    """A refused user operation; `field` names the input, the message is Chinese."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class SignInRefused(AccessError):
    pass


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    county: str | None
    active: bool
    locked_until: dt.datetime | None


def principal_of(user: ConsoleUser, roles: RoleBook) -> Principal:
    return Principal(user.id, user.username, user.display_name, roles.role(user.role), user.county)


class UserService:
    def __init__(self, store: Store, roles: RoleBook | None = None, now: Clock = utc_now):
        self.store = store
        self.roles = roles or load_roles()
        self.now = now

    # -------------------------------------------------- administration (CLI)

    def add(self, username: str, password: str, role: str, display_name: str | None = None,
            county: str | None = None) -> UserView:
        username = username.strip()
        if not username:
            raise AccessError("username", "用户名不能为空。")
        spec = self.roles.role(role)
        if spec.scope == COUNTY and not county:
            raise AccessError("county", f"角色“{spec.label}”须指定所属区县（--county）。")
        if spec.scope != COUNTY and county:
            raise AccessError("county", f"角色“{spec.label}”为全市范围，不能指定区县。")
        password_hash = self._hash(password)

        def work(session: Session) -> UserView:
            if county and session.get(m.CountyRow, county) is None:
                raise AccessError("county", f"区县{county}不存在。")
            if self._by_name(session, username) is not None:
                raise AccessError("username", f"用户名{username}已存在。")
            user = ConsoleUser(username=username, display_name=display_name or username, role=role, county=county,
                               password_hash=password_hash, active=True, failed_attempts=0,
                               password_changed_at=self.now())
            session.add(user)
            session.flush()
            return self._view(user)
        return self.store.transaction(work)

    def set_password(self, username: str, password: str) -> UserView:
        password_hash = self._hash(password)

        def work(session: Session) -> UserView:
            user = self._existing(session, username)
            user.password_hash = password_hash
            user.password_changed_at = self.now()
            user.failed_attempts = 0
            user.locked_until = None
            return self._view(user)
        return self.store.transaction(work)

    def list(self) -> list[UserView]:
        return self.store.read(lambda s: [self._view(u) for u in
                                          s.execute(select(ConsoleUser).order_by(ConsoleUser.username)).scalars()])

    # -------------------------------------------------- sign-in

    def authenticate(self, username: str, password: str, *, ip: str | None = None) -> Principal:
        """The principal for a right password; `SignInRefused` otherwise. A failure is counted (and
        commits, with its audit record) before the refusal is raised."""
        def work(session: Session) -> Principal | SignInRefused:
            user = self._by_name(session, username.strip())
            result = self._check(user, password)
            self._audit_sign_in(session, user, username, result, ip)
            return result
        result = self.store.transaction(work)
        if isinstance(result, SignInRefused):
            raise result
        return result

    def _audit_sign_in(self, session: Session, user: ConsoleUser | None, typed: str,
                       result: Principal | SignInRefused, ip: str | None) -> None:
        from tongchou.audit.trail import SIGNIN_FAILED, SIGNIN_OK, Actor, append
        if user is not None:
            actor = Actor(user.username, user.role, user.county, ip)
        else:
            digest = hashlib.sha256(typed.strip().encode("utf-8", "replace")).hexdigest()[:12]
            actor = Actor(f"unknown:{digest}", None, None, ip)
        if isinstance(result, SignInRefused):
            outcome = "locked" if "锁定" in result.message else ("disabled" if user is not None and not user.active
                                                               else "failed")
            append(session, actor, SIGNIN_FAILED, object_type="console_user", object_id=user.username if user else None,
                   outcome=outcome, detail={"failed_attempts": user.failed_attempts if user else None}, now=self.now)
        else:
            append(session, actor, SIGNIN_OK, object_type="console_user", object_id=user.username, now=self.now)

    def _check(self, user: ConsoleUser | None, password: str) -> Principal | SignInRefused:
        ok = passwords.verify(user.password_hash if user else None, password)
        if user is None or not user.active:
            return SignInRefused("password", BAD_CREDENTIALS)
        now = self.now()
        locked_until = as_utc(user.locked_until)
        if locked_until is not None and locked_until > now:
            return SignInRefused("username", f"账户因连续{MAX_FAILURES}次密码错误已锁定，"
                                             f"请于{_minutes_left(locked_until, now)}分钟后再试，或联系管理员。")
        if not ok:
            self._count_failure(user, now)
            return SignInRefused("password", BAD_CREDENTIALS)
        user.failed_attempts = 0
        user.locked_until = None
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        return principal_of(user, self.roles)

    @staticmethod
    def _count_failure(user: ConsoleUser, now: dt.datetime) -> None:
        user.failed_attempts = (user.failed_attempts or 0) + 1
        if user.failed_attempts >= MAX_FAILURES:
            user.failed_attempts = 0
            user.locked_until = now + LOCKOUT

    # -------------------------------------------------- helpers

    def _hash(self, password: str) -> str:
        try:
            return passwords.hash_password(password)
        except passwords.WeakPassword as exc:
            raise AccessError("password", str(exc)) from None

    @staticmethod
    def _by_name(session: Session, username: str) -> ConsoleUser | None:
        return session.execute(select(ConsoleUser).where(ConsoleUser.username == username)).scalar_one_or_none()

    def _existing(self, session: Session, username: str) -> ConsoleUser:
        user = self._by_name(session, username)
        if user is None:
            raise AccessError("username", f"用户{username}不存在。")
        return user

    def _view(self, user: ConsoleUser) -> UserView:
        return UserView(user.id, user.username, user.display_name, user.role, self.roles.role(user.role).label,
                        user.county, user.active, as_utc(user.locked_until))


def _minutes_left(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))

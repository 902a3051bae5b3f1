"""Password hashing (argon2id via argon2-cffi) and the console's password rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) defaults
# verified against when the user does not exist, so that an unknown name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("tongchou-no-such-user")


class WeakPassword(ValueError):
    """The password breaks the rule (the message says how, in Chinese)."""


def check_rule(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少{MIN_LENGTH}位。")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise WeakPassword("密码须同时包含字母和数字。")


def hash_password(password: str) -> str:
    check_rule(password)
    return _HASHER.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; a missing or unreadable hash never matches (and costs the same)."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)

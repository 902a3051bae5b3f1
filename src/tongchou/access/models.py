"""Console tables (migration 0006), on the store's `Base`.

- `console_user` — a bureau staff member: role (roles.yaml), county for county-scoped roles,
  argon2id hash, and the lockout counters (failed attempts, locked until).
- `console_session` — a server-side session: only the SHA-256 of the cookie's token is stored, with
  its CSRF token, idle and absolute expiry and revocation.
- `console_manual_claim` — 零星报销 entered at the counter: the settlement it produced (settled by the
  engine through the settlement service), the channel (`manual`), the reason direct settlement
  failed, the receipt number and who entered it; `receipt_key` (unique: a receipt is paid once) and
  the reviewer of an amount above the review threshold (双人复核, migration 0011).
Times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tongchou.store.models import Base, Code, County, Id, _created


class ConsoleUser(Base):
    __tablename__ = "console_user"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    county: Mapped[Optional[str]] = mapped_column(County)
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class ConsoleSession(Base):
    __tablename__ = "console_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


class ManualClaim(Base):
    __tablename__ = "console_manual_claim"
    __table_args__ = (Index("uq_console_manual_claim_receipt_key", "receipt_key", unique=True),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    setl_id: Mapped[str] = mapped_column(ForeignKey("settlement.setl_id"), unique=True)
    psn_no: Mapped[str] = mapped_column(Code, index=True)
    county: Mapped[str] = mapped_column(County)
    channel: Mapped[str] = mapped_column(String(10), default="manual")
    reason: Mapped[str] = mapped_column(Text)
    receipt_no: Mapped[Optional[str]] = mapped_column(String(64))
    receipt_key: Mapped[Optional[str]] = mapped_column(String(120))  # unique index (migration 0011)
    entered_by: Mapped[str] = mapped_column(String(64))
    reviewed_by: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()

"""Audit tables (migration 0008), on the store's `Base`.

- `audit_event` — APPEND-ONLY (a trigger refuses UPDATE and DELETE on both engines; on PostgreSQL the
  application role `tongchou_app` may only SELECT and INSERT). `seq` numbers the chain from 1;
  `hash` = SHA-256(`prev_hash` ‖ canonical JSON of the event), `prev_hash` the previous event's hash
  (64 zeros for the first). `detail` is canonical JSON text (what is hashed is what is stored).
- `audit_head` — one row (id 1): the last `seq` and `hash`. Writers lock it (SELECT … FOR UPDATE) so the
  chain stays linear with concurrent writers; a trigger lets `seq` only move forward by one and refuses
  DELETE. `verify` compares it with the last event, so a deleted tail is detected too.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tongchou.store.models import Base, Id

GENESIS = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[Optional[str]] = mapped_column(String(40))
    actor_county: Mapped[Optional[str]] = mapped_column(String(6))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[Optional[str]] = mapped_column(String(40))
    object_id: Mapped[Optional[str]] = mapped_column(String(200))
    source_ip: Mapped[Optional[str]] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)

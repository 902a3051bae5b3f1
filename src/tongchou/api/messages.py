"""Messages (msgid) of institutions: the API's idempotency key (docs/reference/settlement-rules.md §8).

A message is recorded with its answer in the same transaction as what it did. The same msgid with
the same infno and canonical `input` gets the first answer again; with anything else it is refused.
A refused message is not recorded (the institution may send it again, corrected). A reversal (2601)
marks the message it reverses, whether or not that message has arrived: a late original is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from tongchou.api.envelope import ApiError
from tongchou.api.jsonout import dumps
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher
from tongchou.store.uow import Store, insert_new

DONE, REVERSED = "done", "reversed"
OUTPUT_COLUMN = "api_message.output"


class Raced(Exception):
    """Another worker recorded the same message first: read its answer."""


@dataclass(frozen=True)
class Stored:
    infno: str
    input_hash: str | None
    status: str
    output: Any
    subject: str | None


_TABLE = m.ApiMessage.__table__
LOOKUP = select(_TABLE.c.infno, _TABLE.c.input_hash, _TABLE.c.status, _TABLE.c.output, _TABLE.c.subject).where(
    _TABLE.c.fixmedins_code == bindparam("code"), _TABLE.c.msgid == bindparam("msgid"))


def lookup(store: Store, cipher: DataCipher, code: str, msgid: str) -> Stored | None:
    """The message as recorded (one statement, outside any transaction: a record commits whole)."""
    return stored_of(store.statement(lambda connection: connection.execute(LOOKUP, {"code": code, "msgid": msgid})
                                     .first()), cipher)


def stored_of(row: Any | None, cipher: DataCipher) -> Stored | None:
    """A message from the columns of `LOOKUP` (None for no row), its answer decrypted."""
    if row is None:
        return None
    output = json.loads(cipher.decrypt(row.output, OUTPUT_COLUMN), parse_float=Decimal) if row.output else None
    return Stored(row.infno, row.input_hash, row.status, output, row.subject)


def replay(stored: Stored, infno: str, input_hash: str) -> Any:
    """The first answer of a message sent again, or the refusal."""
    if stored.status == REVERSED:
        raise ApiError("该报文已被冲正（2601），原交易不予办理。", "msgid")
    if stored.infno != infno or stored.input_hash != input_hash:
        raise ApiError("msgid 重复且内容不同：同一报文ID已用于其他交易或其他内容，不予办理。", "msgid")
    return stored.output


def _insert(session: Session, values: dict[str, Any]) -> bool:
    connection = session.connection()
    return connection.execute(insert_new(connection.dialect.name, _TABLE, "msgid"), values).first() is not None


def record(session: Session, cipher: DataCipher, code: str, msgid: str, infno: str, input_hash: str, output: Any,
           subject: str | None = None) -> None:
    """Record a message and its answer (encrypted: answers carry personal data such as `certno`); raise Raced
    when another worker recorded it first."""
    values = {"fixmedins_code": code, "msgid": msgid, "infno": infno, "input_hash": input_hash, "status": DONE,
              "output": cipher.encrypt(dumps(output).decode("utf-8"), OUTPUT_COLUMN), "subject": subject}
    if not _insert(session, values):
        raise Raced(msgid)


def mark_reversed(session: Session, code: str, msgid: str, infno: str) -> None:
    """The original is reversed: recorded ones change status, one not yet arrived gets a mark."""
    if not _insert(session, {"fixmedins_code": code, "msgid": msgid, "infno": infno, "input_hash": None,
                             "status": REVERSED, "output": None, "subject": None}):
        session.execute(update(m.ApiMessage).where(m.ApiMessage.fixmedins_code == code, m.ApiMessage.msgid == msgid)
                        .values(status=REVERSED))


def subject_of(session: Session, code: str, msgid: str) -> str | None:
    return session.execute(select(m.ApiMessage.subject).where(
        m.ApiMessage.fixmedins_code == code, m.ApiMessage.msgid == msgid)).scalar_one_or_none()

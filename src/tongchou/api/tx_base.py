"""What every transaction family shares: the validated call, the reply, the registry entry and the context
the handlers run in. A family module declares `TRANSACTIONS = {infno: Transaction(input model, handler)}`;
`api.registry` merges them and the app dispatches on it.

No business rule lives in a handler: visits and fee lines are `tongchou.visits`, settlements are
`SettlementService`, reconciliation is `api.reconcile`. Each handler records its message (msgid) with its
answer in the transaction that does the work (`api.messages`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, NamedTuple

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tongchou.api import messages, personal, wire
from tongchou.api.identity import DEFAULT_LOOKUP_QUOTA
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher
from tongchou.store.uow import Store
from tongchou.visits.rules import LINE_TOLERANCE


@dataclass(frozen=True)
class Call:
    """One authenticated, validated message."""

    code: str  # the institution (x-tif-paasid = fixmedins_code)
    msgid: str
    infno: str
    envelope: wire.Envelope
    input: Any  # the wire model of the infno
    input_hash: str
    received: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.code}|{self.msgid}"


@dataclass
class Reply:
    output: Any
    warn: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """The services a handler works with."""

    store: Store
    settlements: SettlementService
    cipher: DataCipher
    division: str
    line_tolerance: Decimal = LINE_TOLERANCE  # yuan a fee line's total may differ from cnt × pric
    lookup_quota: int = DEFAULT_LOOKUP_QUOTA  # 1101 look-ups a day of an institution without its own quota

    def write(self, call: Call, work: Callable[[Session], Any],
              subject: Callable[[Any], str | None] = lambda _: None) -> Reply:
        """Run `work` and record the message with its output, in one transaction."""
        def run(session: Session) -> Any:
            output = work(session)
            self.record(session, call, output, subject(output))
            return output
        return Reply(self.store.transaction(run))

    def record(self, session: Session, call: Call, output: Any, subject: str | None) -> None:
        messages.record(session, self.cipher, call.code, call.msgid, call.infno, call.input_hash, output, subject)

    def kept(self, node: Any) -> Any:
        """A node as sent (a wire model, a list of them, or plain JSON), as it may be stored: without personal
        data in plain text (api.personal)."""
        if isinstance(node, (list, tuple)):
            return [self.kept(item) for item in node]
        return personal.redact(node.model_dump(mode="json") if isinstance(node, BaseModel) else node,
                               self.cipher.lookup_hash)

    def certno(self, person: m.Person) -> str | None:
        return self.cipher.decrypt(person.id_number_enc, "person.id_number") if person.id_number_enc else None


Handler = Callable[[Context, Call], Reply]


class Transaction(NamedTuple):
    """A registry entry: the infno's input model (api.wire) and its handler."""

    input: type[BaseModel]
    handler: Handler

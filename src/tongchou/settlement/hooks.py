"""What settlement asks of supervision, declared here and implemented there (`supervision.service.SupervisionHook`),
so that settlement imports nothing of supervision: the service is given a hook, or none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Protocol, Sequence

from tongchou.settlement.adjudication import Insured, Suspension
from tongchou.settlement.model import Item
from tongchou.settlement.request import SettleRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ScreeningHook(Protocol):
    def suspensions(self, session: Session, psn_nos: Sequence[str]) -> Mapping[str, tuple[Suspension, ...]]:
        """Each person's benefit suspensions and lifts, oldest first (adjudication picks the one in force)."""
        ...

    def review(self, session: Session, req: SettleRequest, person: Insured, items: Sequence[Item]) -> tuple[str, ...]:
        """Smart-audit screening of an adjudicated request: raises `Refused` naming the field on a blocking
        finding, otherwise returns the warnings for the institution (warn_msg)."""
        ...

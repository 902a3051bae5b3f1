"""2601 reversal (冲正): undo what a message did when its answer was lost or uncertain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tongchou.api import messages, wire
from tongchou.api.envelope import ApiError
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.visits import service as visits
from tongchou.visits.rules import CANCELLED

SETTLEMENTS = frozenset({"2207", "2304"})
CANCELLATIONS = frozenset({"2208", "2305"})
REVERSIBLE = frozenset({"2207", "2208", "2304", "2305", "2401"})


def reverse(ctx: Context, call: Call) -> Reply:
    data: wire.Reversal = call.input.data
    if data.oinfno not in REVERSIBLE:
        raise ApiError(f"交易{data.oinfno}不支持冲正（可冲正：{'、'.join(sorted(REVERSIBLE))}）。", "oinfno")
    if data.omsgid == call.msgid:
        raise ApiError("原发送方报文ID不能是本报文ID。", "omsgid")
    original = messages.lookup(ctx.store, ctx.cipher, call.code, data.omsgid)
    if original is not None and original.status != messages.REVERSED and original.infno != data.oinfno:
        raise ApiError(f"原报文{data.omsgid}的交易编号是{original.infno}，与 oinfno 不符。", "oinfno")
    if original is not None and original.status == messages.REVERSED:
        return ctx.write(call, lambda _s: {})
    if original is not None and data.oinfno in CANCELLATIONS:
        raise ApiError("原撤销交易已生效，不能冲正；如需恢复请重新结算。", "omsgid")

    if data.oinfno in SETTLEMENTS:
        def after(session: Session, outcome: Any) -> None:
            if outcome.cancelled is not None:
                visits.mark_unsettled(session, outcome.cancelled.setl_id)
            messages.mark_reversed(session, call.code, data.omsgid, data.oinfno)
            ctx.record(session, call, {}, data.omsgid)
        ctx.settlements.reverse(f"{call.code}|{data.omsgid}", after=after)
        return Reply({})
    if data.oinfno == "2401" and original is not None:
        def cancel_admission(session: Session) -> dict[str, Any]:
            visit = visits.visit_of(session, call.code, original.subject or "", lock=True)
            if visit.status != CANCELLED:
                visits.cancel_registration(session, visit)
            messages.mark_reversed(session, call.code, data.omsgid, data.oinfno)
            return {}
        return ctx.write(call, cancel_admission, lambda _o: data.omsgid)

    def mark_only(session: Session) -> dict[str, Any]:
        messages.mark_reversed(session, call.code, data.omsgid, data.oinfno)
        return {}
    return ctx.write(call, mark_only, lambda _o: data.omsgid)


TRANSACTIONS = {"2601": Transaction(wire.Input2601, reverse)}

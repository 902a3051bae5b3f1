"""Supervision's implementation of settlement's screening hook (`settlement.hooks.ScreeningHook`, shell):
benefits suspended by a fraud decision, and screening a request before and while it is settled.

    hook = SupervisionHook(load_rules())
    SettlementService(store, registry, supervision=hook)         # and SettlementHistory(..., supervision=hook)
    hook.suspensions(session, psn_nos)     # the decisions adjudication refuses on (benefits_suspended)
    hook.review(session, req, person, items)   # raises Refused on a blocking finding; returns the warnings
    hook.screen(session, req, person, items)   # the pure screen_claim over store history

The request is read by attribute (psn_no, insutype, fixmedins_code, med_type, begndate, enddate,
dise_code, setl_id, items with code/qty/price/amount), so screening also serves requests that are not
the service's. History is the person's settlements in the store (not cancelled) whose
stay ends within `lookback_days` of the request, with the drugs bought on each, and the
registration time of API visits where there is one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tongchou.errors import Refused
from tongchou.settlement.adjudication import Suspension, check_suspension
from tongchou.store import models as m
from tongchou.supervision import models as sv
from tongchou.supervision.rules import RuleBook
from tongchou.supervision.screening import ClaimContext, FeeLine, ItemLimits, PastVisit, PersonFacts, Screening, screen

DEFAULT_LOOKBACK_DAYS = 90


class SupervisionHook:
    def __init__(self, book: RuleBook, limits: Mapping[str, ItemLimits] | None = None,
                 lookback_days: int = DEFAULT_LOOKBACK_DAYS):
        self.book = book
        self.limits = dict(limits or {})
        self.lookback_days = lookback_days

    def suspensions(self, session: Session, psn_nos: Sequence[str]) -> dict[str, tuple[Suspension, ...]]:
        """Each person's suspensions and lifts, oldest first."""
        found: dict[str, list[Suspension]] = {}
        for start in range(0, len(psn_nos), 500):
            for row in session.connection().execute(_SUSPENSIONS_OF, {"psn_nos": list(psn_nos[start:start + 500])}):
                found.setdefault(row.psn_no, []).append(
                    Suspension(row.psn_no, row.kind, row.valid_from, row.valid_to, row.reason))
        return {psn_no: tuple(rows) for psn_no, rows in found.items()}

    def check_benefits(self, session: Session, psn_no: str, day: dt.date) -> None:
        check_suspension(self.suspensions(session, [psn_no]).get(psn_no, ()), day)

    def review(self, session: Session, req: Any, person: Any, items: Sequence[Any]) -> tuple[str, ...]:
        """The settlement service's screening of an adjudicated request: refuse on a blocking finding (Refused,
        naming the field), otherwise return the warnings for the institution (warn_msg)."""
        screening = self.screen(session, req, person, items, begntime=getattr(req, "begntime", None))
        if screening.blocking:
            raise Refused(refusal_field(screening), screening.refusal(), refusal_code(screening))
        return tuple(f.text for f in screening.warnings)

    def screen(self, session: Session, req: Any, person: Any, items: Sequence[Any] = (), *,
               begntime: dt.datetime | None = None, stages: Iterable[str] = ("pre", "during")) -> Screening:
        if begntime is None:  # the API's registration time of the visit, when it came through the API
            visit = session.execute(select(m.ApiVisit.begntime).where(
                m.ApiVisit.fixmedins_code == req.fixmedins_code, m.ApiVisit.mdtrt_id == req.mdtrt_id)).first()
            begntime = visit[0] if visit else None
        claim = self.claim_of(req, person, items, begntime)
        history = history_from_store(session, req.psn_no, req.begndate, self.lookback_days,
                                     exclude=(req.fixmedins_code, req.mdtrt_id), book=self.book)
        return screen(self.book, claim, history, stages)

    def claim_of(self, req: Any, person: Any, items: Sequence[Any], begntime: dt.datetime | None) -> ClaimContext:
        lines = []
        for index, line in enumerate(req.items):
            item = items[index] if index < len(items) else None
            limits = self.limits.get(line.code)
            cap = getattr(item, "price_cap", None)
            if cap is not None:
                limits = ItemLimits(**{**(limits.__dict__ if limits else {}), "price_cap": Decimal(str(cap))})
            qty = Decimal(str(line.qty)) if line.qty is not None else Decimal(1)
            price = Decimal(str(line.price)) if line.price is not None else Decimal(line.amount) / 100 / qty
            lines.append(FeeLine(code=line.code, qty=qty, price=price, amount=line.amount,
                                 time=getattr(line, "time", None), feedetl_sn=getattr(line, "feedetl_sn", None),
                                 name=getattr(line, "name", "") or "", limits=limits))
        facts = PersonFacts(person.psn_no, getattr(person, "sex", None), getattr(person, "birth_date", None)) \
            if person is not None else None
        return ClaimContext(psn_no=req.psn_no, insutype=req.insutype, fixmedins_code=req.fixmedins_code,
                            med_type=req.med_type, begndate=req.begndate, enddate=req.enddate,
                            setl_id=getattr(req, "setl_id", None), begntime=begntime, dise_code=req.dise_code,
                            county=getattr(person, "county", None), person=facts, lines=tuple(lines),
                            medfee=sum(line.amount for line in req.items))


_SUSPENSION_TABLE = sv.BenefitSuspensionRow.__table__
_SUSPENSIONS_OF = select(_SUSPENSION_TABLE).where(
    _SUSPENSION_TABLE.c.psn_no.in_(bindparam("psn_nos", expanding=True))).order_by(_SUSPENSION_TABLE.c.id)
_SETTLEMENTS = m.Settlement.__table__
_HISTORY = select(*(_SETTLEMENTS.c[name] for name in (
    "setl_id", "fixmedins_code", "mdtrt_id", "med_type", "begndate", "enddate", "dise_code", "medfee_sumamt"))).where(
    _SETTLEMENTS.c.psn_no == bindparam("psn_no"), _SETTLEMENTS.c.enddate >= bindparam("since"),
    ~_SETTLEMENTS.c.setl_id.in_(select(m.SettlementCancellation.__table__.c.setl_id)))


_FEE_ITEMS = m.FeeItem.__table__
_DRUGS = select(_FEE_ITEMS.c.setl_id, _FEE_ITEMS.c.code).where(
    _FEE_ITEMS.c.setl_id.in_(bindparam("setl_ids", expanding=True)))
_API_VISITS = m.ApiVisit.__table__
_REGISTERED = select(_API_VISITS.c.fixmedins_code, _API_VISITS.c.mdtrt_id, _API_VISITS.c.begntime).where(
    _API_VISITS.c.psn_no == bindparam("psn_no"), _API_VISITS.c.mdtrt_id.in_(bindparam("mdtrt_ids", expanding=True)))


def history_from_store(session: Session, psn_no: str, around: dt.date, lookback_days: int,
                       exclude: tuple[str, str] | None = None, book: RuleBook | None = None) -> list[PastVisit]:
    """The person's settled, not cancelled visits ending on or after `around − lookback_days`."""
    since = around - dt.timedelta(days=lookback_days)
    rows = session.connection().execute(_HISTORY, {"psn_no": psn_no, "since": since}).all()
    if exclude is not None:
        rows = [r for r in rows if (r.fixmedins_code, r.mdtrt_id) != exclude]
    if not rows:
        return []
    setl_ids = [r.setl_id for r in rows]
    prefixes: tuple[str, ...] = ()
    if book is not None:
        for rule in book.rules:
            if rule.id == "frequent_drug_purchase":
                prefixes = tuple(rule.params.drug_code_prefixes)
    drugs: dict[str, set[str]] = {}
    connection = session.connection()
    for setl_id, code in connection.execute(_DRUGS, {"setl_ids": setl_ids}):
        if not prefixes or code.startswith(prefixes):
            drugs.setdefault(setl_id, set()).add(code)
    times = {(v.fixmedins_code, v.mdtrt_id): v.begntime for v in connection.execute(
        _REGISTERED, {"psn_no": psn_no, "mdtrt_ids": [r.mdtrt_id for r in rows]})}
    return [PastVisit(setl_id=r.setl_id, fixmedins_code=r.fixmedins_code, med_type=r.med_type, begndate=r.begndate,
                      enddate=r.enddate, begntime=times.get((r.fixmedins_code, r.mdtrt_id)), dise_code=r.dise_code,
                      medfee=r.medfee_sumamt, drug_codes=tuple(sorted(drugs.get(r.setl_id, ()))))
            for r in sorted(rows, key=lambda r: (r.begndate, r.setl_id))]


def refusal_code(screening: Screening) -> str:
    """The error code of a refusal: supervision_<rule id> of the first blocking finding."""
    return f"supervision_{screening.blocking[0].rule_id}"


def refusal_field(screening: Screening) -> str:
    """The request field a refusal names: the fee lines for an item rule, the visit otherwise."""
    return "items" if screening.blocking[0].feedetl_sns or screening.blocking[0].evidence.get("item") else "mdtrt_id"

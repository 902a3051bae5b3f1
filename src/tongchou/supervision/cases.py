"""The case workflow (案件办理) as pure transitions: a case is the fold of its events.

    suspect 疑点待核 --review(违规)--> reviewed 已告知待申辩 --appeal--> appealed 已申辩
       |                  |                         \\________________________/
       |            review(不违规)                     decide (申辩期满或已申辩)
       v                  v                                   v
                      dismissed 不予处理            decided 已决定 --receipts--> closed 已结案
                                                   (or dismissed)

Deadlines come from policies/supervision/cases.yaml. A decision to recover states the amount
obtained improperly (fen); for fraud (欺诈骗保) a fine of `fine_multiple` × that amount (2–5×),
the loss of the person's benefits for the rest of the year, or the suspension or end of an
institution's agreement. Errors name the field and say why in Chinese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tongchou.money import Fen, fen_to_str
from tongchou.supervision.errors import SupervisionError, from_validation
from tongchou.supervision.rules import POLICY_DIR

STATE_NAMES = {"suspect": "疑点待核", "reviewed": "已告知待申辩", "appealed": "已申辩", "decided": "已决定",
               "dismissed": "不予处理", "closed": "已结案"}
SUBJECT_NAMES = {"institution": "定点医药机构", "person": "参保人", "doctor": "医保医师"}


class CaseError(SupervisionError):
    """A step the case cannot take now (wrong state, past a deadline, a value out of range)."""


# ---------------------------------------------------------------- configuration

class Deadlines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    review_days: int = Field(ge=1)
    appeal_days: int = Field(ge=1)
    decision_days: int = Field(ge=1)
    payment_days: int = Field(ge=1)


class Multiple(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: Decimal = Field(ge=0)
    max: Decimal = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> "Multiple":
        if self.min > self.max:
            raise ValueError("min 大于 max")
        return self


class CaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    case_no_prefix: str = "JG"
    deadlines: Deadlines
    fine_multiple: Multiple
    benefit_suspension: Literal["rest_of_year"] = "rest_of_year"
    agreement_actions: tuple[Literal["suspended", "exited"], ...] = ("suspended", "exited")


def load_case_config(path: Path | None = None) -> CaseConfig:
    path = path or POLICY_DIR / "cases.yaml"
    try:
        return CaseConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise from_validation(exc, where=f"{path.name}: ") from None


# ---------------------------------------------------------------- events and state

@dataclass(frozen=True)
class Event:
    kind: Literal["open", "review", "appeal", "decide", "receipt"]
    on: dt.date
    data: dict[str, Any] = field(default_factory=dict)
    actor: str = ""
    text: str = ""


@dataclass(frozen=True)
class Decision:
    outcome: Literal["recover", "dismiss"]
    recover: Fen = 0
    fraud: bool = False
    fine_multiple: Decimal | None = None
    fine: Fen = 0
    suspend_benefits: bool = False
    agreement: str | None = None


@dataclass(frozen=True)
class Case:
    case_no: str
    subject_kind: str
    subject_id: str
    county: str
    amount_at_issue: Fen
    opened_on: dt.date
    state: str = "suspect"
    events: tuple[Event, ...] = ()
    deadline: dt.date | None = None      # of the next step
    appeal_by: dt.date | None = None
    decision: Decision | None = None
    recovered: Fen = 0                  # received so far
    fined_paid: Fen = 0

    @property
    def recover_outstanding(self) -> Fen:
        return (self.decision.recover if self.decision else 0) - self.recovered

    @property
    def fine_outstanding(self) -> Fen:
        return (self.decision.fine if self.decision else 0) - self.fined_paid

    def summary(self) -> str:
        text = (f"案件{self.case_no}（{SUBJECT_NAMES.get(self.subject_kind, self.subject_kind)}{self.subject_id}）"
                f"状态：{STATE_NAMES.get(self.state, self.state)}")
        if self.deadline:
            text += f"，期限{self.deadline}"
        if self.decision and self.decision.outcome == "recover":
            text += f"，应追回{fen_to_str(self.decision.recover)}元（已收{fen_to_str(self.recovered)}元）"
            if self.decision.fine:
                text += f"，罚款{fen_to_str(self.decision.fine)}元（已收{fen_to_str(self.fined_paid)}元）"
        return text


def _days(on: dt.date, n: int) -> dt.date:
    return on + dt.timedelta(days=n)


def _need(case: Case, states: tuple[str, ...], step: str) -> None:
    if case.state not in states:
        allowed = "、".join(STATE_NAMES[s] for s in states)
        raise CaseError("state", f"案件{case.case_no}当前为“{STATE_NAMES.get(case.state, case.state)}”，不能{step}"
                                 f"（需处于：{allowed}）。")


def _not_before(case: Case, on: dt.date) -> None:
    last = case.events[-1].on if case.events else case.opened_on
    if on < last:
        raise CaseError("on", f"日期{on}早于案件上一步骤的日期{last}。")


def open_case(config: CaseConfig, case_no: str, subject_kind: str, subject_id: str, county: str,
              amount_at_issue: Fen, on: dt.date, findings: int = 0, actor: str = "") -> Case:
    if subject_kind not in SUBJECT_NAMES:
        raise CaseError("subject_kind", f"案件对象类型应为 {', '.join(SUBJECT_NAMES)} 之一，而不是 {subject_kind!r}。")
    if not subject_id:
        raise CaseError("subject_id", "案件对象编码不能为空。")
    if amount_at_issue < 0:
        raise CaseError("amount_at_issue", "涉及金额不能为负数。")
    text = (f"立案：{SUBJECT_NAMES[subject_kind]}{subject_id}，疑点{findings}条，涉及金额{fen_to_str(amount_at_issue)}元，"
            f"应于{_days(on, config.deadlines.review_days)}前完成核查。")
    event = Event("open", on, {"findings": findings, "amount_at_issue": amount_at_issue}, actor, text)
    return Case(case_no, subject_kind, subject_id, county, amount_at_issue, on, "suspect", (event,),
                _days(on, config.deadlines.review_days))


def review(config: CaseConfig, case: Case, on: dt.date, violation: bool, text: str = "", actor: str = "") -> Case:
    _need(case, ("suspect",), "核查")
    _not_before(case, on)
    if not violation:
        event = Event("review", on, {"violation": False}, actor, f"核查结论：不构成违规，不予处理。{text}".strip())
        return replace(case, state="dismissed", events=case.events + (event,), deadline=None)
    appeal_by = _days(on, config.deadlines.appeal_days)
    event = Event("review", on, {"violation": True}, actor,
                  f"核查结论：存在违规，已告知{SUBJECT_NAMES[case.subject_kind]}，可于{appeal_by}前陈述、申辩。{text}".strip())
    return replace(case, state="reviewed", events=case.events + (event,), deadline=appeal_by, appeal_by=appeal_by)


def appeal(config: CaseConfig, case: Case, on: dt.date, text: str, actor: str = "") -> Case:
    _need(case, ("reviewed",), "申辩")
    _not_before(case, on)
    if not text.strip():
        raise CaseError("text", "申辩内容不能为空。")
    if case.appeal_by and on > case.appeal_by:
        raise CaseError("on", f"申辩期已于{case.appeal_by}届满，{on}的申辩不予受理。")
    decide_by = _days(on, config.deadlines.decision_days)
    event = Event("appeal", on, {"statement": text.strip()}, actor, f"申辩：{text.strip()}（应于{decide_by}前作出决定）")
    return replace(case, state="appealed", events=case.events + (event,), deadline=decide_by)


def _fine(amount: Fen, multiple: Decimal) -> Fen:
    return int((Decimal(amount) * multiple).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decide(config: CaseConfig, case: Case, on: dt.date, *, recover: Fen = 0, dismiss: bool = False, fraud: bool = False,
           fine_multiple: Decimal | str | None = None, suspend_benefits: bool = False, agreement: str | None = None,
           text: str = "", actor: str = "") -> Case:
    _need(case, ("reviewed", "appealed"), "作出处理决定")
    _not_before(case, on)
    if case.state == "reviewed" and case.appeal_by and on <= case.appeal_by:
        raise CaseError("on", f"申辩期至{case.appeal_by}届满，期满前（或收到申辩前）不能作出决定。")
    if dismiss:
        event = Event("decide", on, {"outcome": "dismiss"}, actor, f"处理决定：不予处理。{text}".strip())
        return replace(case, state="dismissed", events=case.events + (event,), deadline=None,
                       decision=Decision("dismiss"))
    if recover <= 0:
        raise CaseError("recover", "追回金额应大于0（或选择不予处理）。")
    multiple = Decimal(str(fine_multiple)) if fine_multiple is not None else None
    if multiple is not None and not fraud:
        raise CaseError("fine_multiple", "只有认定欺诈骗保才处罚款。")
    if multiple is not None and not (config.fine_multiple.min <= multiple <= config.fine_multiple.max):
        raise CaseError("fine_multiple", f"罚款倍数应在{config.fine_multiple.min}至{config.fine_multiple.max}倍之间，"
                                         f"而不是{multiple}。")
    if suspend_benefits and (case.subject_kind != "person" or not fraud):
        raise CaseError("suspend_benefits", "取消当年医保待遇只适用于认定欺诈骗保的参保人。")
    if agreement is not None:
        if case.subject_kind != "institution":
            raise CaseError("agreement", "暂停或解除医保协议只适用于定点医药机构。")
        if agreement not in config.agreement_actions:
            raise CaseError("agreement", f"协议处理应为 {', '.join(config.agreement_actions)} 之一。")
    if case.subject_kind == "doctor":
        raise CaseError("subject_kind", "医保医师不是基金的债务人：追回应在其所在机构的案件中决定。")
    fine = _fine(recover, multiple) if multiple is not None else 0
    decision = Decision("recover", recover, fraud, multiple, fine, suspend_benefits, agreement)
    pay_by = _days(on, config.deadlines.payment_days)
    parts = [f"处理决定：责令退回医保基金{fen_to_str(recover)}元"]
    if fraud:
        parts.append("认定欺诈骗保")
    if fine:
        parts.append(f"处骗取金额{multiple}倍罚款{fen_to_str(fine)}元（应缴国库）")
    if suspend_benefits:
        parts.append(f"取消其{on.year}年度剩余医保待遇")
    if agreement:
        parts.append({"suspended": "暂停医保协议", "exited": "解除医保协议"}[agreement])
    parts.append(f"应于{pay_by}前缴清")
    event = Event("decide", on, {"outcome": "recover", "recover": recover, "fraud": fraud,
                                 "fine_multiple": str(multiple) if multiple is not None else None, "fine": fine,
                                 "suspend_benefits": suspend_benefits, "agreement": agreement},
                  actor, "，".join(parts) + "。" + (text and f"{text}"))
    return replace(case, state="decided", events=case.events + (event,), deadline=pay_by, decision=decision)


def receipt(config: CaseConfig, case: Case, on: dt.date, kind: Literal["recovery", "fine"], amount: Fen,
            actor: str = "") -> Case:
    _need(case, ("decided",), "登记收款")
    _not_before(case, on)
    if kind not in ("recovery", "fine"):
        raise CaseError("kind", "收款类型应为 recovery（退回基金）或 fine（罚款）。")
    outstanding = case.recover_outstanding if kind == "recovery" else case.fine_outstanding
    if amount <= 0 or amount > outstanding:
        raise CaseError("amount", f"收款金额应大于0且不超过尚欠的{fen_to_str(outstanding)}元。")
    label = "退回医保基金" if kind == "recovery" else "罚款（应缴国库）"
    event = Event("receipt", on, {"kind": kind, "amount": amount}, actor, f"收到{label}{fen_to_str(amount)}元。")
    case = replace(case, events=case.events + (event,),
                   recovered=case.recovered + (amount if kind == "recovery" else 0),
                   fined_paid=case.fined_paid + (amount if kind == "fine" else 0))
    if case.recover_outstanding == 0 and case.fine_outstanding == 0:
        case = replace(case, state="closed", deadline=None)
    return case


def replay(config: CaseConfig, case_no: str, subject_kind: str, subject_id: str, county: str, amount_at_issue: Fen,
           events: list[Event]) -> Case:
    """The case as its stored events make it (every step checked again)."""
    first, *rest = events
    case = open_case(config, case_no, subject_kind, subject_id, county, amount_at_issue, first.on,
                     first.data.get("findings", 0), first.actor)
    case = replace(case, events=(first,))
    for e in rest:
        d = e.data
        if e.kind == "review":
            case = review(config, case, e.on, d["violation"], actor=e.actor)
        elif e.kind == "appeal":
            case = appeal(config, case, e.on, d.get("statement") or "申辩", actor=e.actor)
        elif e.kind == "decide":
            case = decide(config, case, e.on, recover=d.get("recover", 0), dismiss=d["outcome"] == "dismiss",
                          fraud=d.get("fraud", False), fine_multiple=d.get("fine_multiple"),
                          suspend_benefits=d.get("suspend_benefits", False), agreement=d.get("agreement"),
                          actor=e.actor)
        elif e.kind == "receipt":
            case = receipt(config, case, e.on, d["kind"], d["amount"], actor=e.actor)
        case = replace(case, events=case.events[:-1] + (e,))  # keep the stored texts
    return case


def overdue(case: Case, today: dt.date) -> str | None:
    """Why the case is late (Chinese), or None."""
    if case.deadline is None or today <= case.deadline:
        return None
    step = {"suspect": "核查", "reviewed": "申辩期已满，应作出决定", "appealed": "作出处理决定", "decided": "缴清退回款和罚款"}
    return f"案件{case.case_no}已超过期限{case.deadline}（{step.get(case.state, case.state)}）。"

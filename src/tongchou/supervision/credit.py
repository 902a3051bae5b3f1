"""Credit ratings (信用评价) of institutions, doctors and insured persons: scoring as data
(policies/supervision/credit.yaml), history as append-only score events (sv_credit_event).

Functional core: `events_for_finding`, `events_for_decision` turn a finding or a decision into
score events; `rate(events, scoring, year)` folds a subject's events of the year into a score and a
grade. Shell: `record_credit_events(store, scoring)` appends the events of every finding and case
decision not yet scored (each source scores once: unique subject + source), `ratings(store, ...)`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.money import yuan_text
from tongchou.store.uow import Store
from tongchou.supervision import models as sv
from tongchou.supervision.errors import from_validation
from tongchou.supervision.rules import POLICY_DIR

SUBJECT_NAMES = {"institution": "定点医药机构", "doctor": "医保医师", "person": "参保人"}


class Grade(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    grade: str
    min: int
    name: str


class Scoring(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    base: int = Field(gt=0)
    period: Literal["year"] = "year"
    finding_points: dict[Literal["low", "medium", "high"], int]
    finding_cap_per_rule: int = Field(le=0)
    decision_points: dict[Literal["violation", "fraud", "dismissed"], int]
    per_10000_yuan_recovered: int = Field(le=0)
    min_score: int = 0
    grades: tuple[Grade, ...] = Field(min_length=1)

    def grade_of(self, score: int) -> Grade:
        for grade in sorted(self.grades, key=lambda g: -g.min):
            if score >= grade.min:
                return grade
        return sorted(self.grades, key=lambda g: g.min)[0]


def load_scoring(path: Path | None = None) -> Scoring:
    path = path or POLICY_DIR / "credit.yaml"
    try:
        return Scoring.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise from_validation(exc, where=f"{path.name}: ") from None


@dataclass(frozen=True)
class ScoreEvent:
    subject_kind: str
    subject_id: str
    on: dt.date
    kind: str          # finding, decision
    source: str        # finding:<key> / case:<no>
    points: int
    reason: str
    rule_id: str = ""  # for the per-rule cap


@dataclass(frozen=True)
class Rating:
    subject_kind: str
    subject_id: str
    year: int
    score: int
    grade: str
    grade_name: str
    events: int

    def text(self) -> str:
        return (f"{SUBJECT_NAMES.get(self.subject_kind, self.subject_kind)}{self.subject_id} {self.year}年度信用分"
                f"{self.score}，等级{self.grade}（{self.grade_name}）")


def events_for_finding(scoring: Scoring, *, key: str, rule_id: str, rule_name: str, severity: str, on: dt.date,
                       fixmedins_code: str | None, doctor_code: str | None, psn_no: str | None) -> list[ScoreEvent]:
    """A finding lowers its institution's and doctor's score; a person's only for the person-level rules."""
    points = scoring.finding_points.get(severity, 0)
    out = []
    subjects = [("institution", fixmedins_code), ("doctor", doctor_code)]
    if rule_id in ("frequent_drug_purchase", "shared_contact_group", "credential_two_institutions",
                   "overlapping_admissions"):
        subjects.append(("person", psn_no))
    for kind, subject in subjects:
        if subject and points:
            out.append(ScoreEvent(kind, subject, on, "finding", f"finding:{key}", points, f"疑点：{rule_name}", rule_id))
    return out


def events_for_decision(scoring: Scoring, *, case_no: str, subject_kind: str, subject_id: str, on: dt.date,
                        outcome: str, fraud: bool, recover_fen: int) -> list[ScoreEvent]:
    if outcome != "recover":
        points = scoring.decision_points["dismissed"]
        return [ScoreEvent(subject_kind, subject_id, on, "decision", f"case:{case_no}", points,
                           f"案件{case_no}不予处理")] if points else []
    points = scoring.decision_points["fraud" if fraud else "violation"]
    points += scoring.per_10000_yuan_recovered * (recover_fen // 1_000_000)
    label = "认定欺诈骗保" if fraud else "认定违规并追回"
    return [ScoreEvent(subject_kind, subject_id, on, "decision", f"case:{case_no}", points,
                       f"案件{case_no}{label}，追回{yuan_text(recover_fen)}")]


def rate(scoring: Scoring, events: Iterable[ScoreEvent], year: int) -> list[Rating]:
    """Per subject: base + the points of the year's events (finding points capped per rule), floored."""
    by_subject: dict[tuple[str, str], list[ScoreEvent]] = defaultdict(list)
    for e in events:
        if e.on.year == year:
            by_subject[(e.subject_kind, e.subject_id)].append(e)
    out = []
    for (kind, subject), evs in sorted(by_subject.items()):
        per_rule: dict[str, int] = defaultdict(int)
        other = 0
        for e in evs:
            if e.kind == "finding":
                per_rule[e.rule_id] += e.points
            else:
                other += e.points
        findings = sum(max(total, scoring.finding_cap_per_rule) for total in per_rule.values())
        score = max(scoring.base + findings + other, scoring.min_score)
        grade = scoring.grade_of(score)
        out.append(Rating(kind, subject, year, score, grade.grade, grade.name, len(evs)))
    return out


# ---------------------------------------------------------------- shell

def record_credit_events(store: Store, scoring: Scoring) -> int:
    """Append the score events of every finding and case decision not scored yet; returns how many were added."""
    from tongchou.supervision.service import _insert_ignore

    def work(session: Session) -> int:
        events: list[ScoreEvent] = []
        for f in session.execute(select(sv.FindingRow)).scalars():
            events += events_for_finding(scoring, key=f.finding_key, rule_id=f.rule_id, rule_name=f.rule_name,
                                         severity=f.severity, on=f.found_on, fixmedins_code=f.fixmedins_code,
                                         doctor_code=f.doctor_code, psn_no=f.psn_no)
        decisions = session.execute(select(sv.CaseRow, sv.CaseEventRow).join(
            sv.CaseEventRow, sv.CaseEventRow.case_id == sv.CaseRow.id).where(sv.CaseEventRow.kind == "decide")).all()
        for case, event in decisions:
            events += events_for_decision(scoring, case_no=case.case_no, subject_kind=case.subject_kind,
                                          subject_id=case.subject_id, on=event.on, outcome=event.data.get("outcome"),
                                          fraud=bool(event.data.get("fraud")), recover_fen=int(event.data.get("recover") or 0))
        before = _count(session)
        rows = [{"subject_kind": e.subject_kind, "subject_id": e.subject_id, "on": e.on, "kind": e.kind,
                 "source": e.source + (f"|{e.rule_id}" if e.rule_id else ""), "points": e.points, "reason": e.reason,
                 "scoring_version": scoring.version} for e in events]
        for start in range(0, len(rows), 1000):
            _insert_ignore(session, sv.CreditEventRow.__table__, rows[start:start + 1000])
        return _count(session) - before
    return store.transaction(work)


def _count(session: Session) -> int:
    from sqlalchemy import func

    return int(session.execute(select(func.count()).select_from(sv.CreditEventRow)).scalar_one())


def stored_events(session: Session, subject_kind: str | None = None) -> list[ScoreEvent]:
    query = select(sv.CreditEventRow).order_by(sv.CreditEventRow.id)
    if subject_kind:
        query = query.where(sv.CreditEventRow.subject_kind == subject_kind)
    return [ScoreEvent(r.subject_kind, r.subject_id, r.on, r.kind, r.source, r.points, r.reason,
                       r.source.split("|", 1)[1] if "|" in r.source else "")
            for r in session.execute(query).scalars()]


def ratings(store: Store, scoring: Scoring, year: int, subject_kind: str | None = None) -> list[Rating]:
    return rate(scoring, store.read(lambda s: stored_events(s, subject_kind)), year)

"""Supervision tables (migration 0005), on the store's `Base`. Money is BIGINT fen.

APPEND-ONLY (a trigger refuses UPDATE and DELETE, see the migration): findings, cases, case
events, benefit suspensions, agreement actions and credit events. A case's state is the fold of
its events (`tongchou.supervision.cases`); a lifted suspension is a new `lift` row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tongchou.store.models import Base, Code, County, Id, Money, _created

SUPERVISION_APPEND_ONLY = ("sv_finding", "sv_case", "sv_case_finding", "sv_case_event", "sv_benefit_suspension",
                           "sv_agreement_action", "sv_credit_event")


class ScreeningRun(Base):
    """One batch screening (`tongchou supervision screen --db`)."""

    __tablename__ = "sv_run"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text)
    rules: Mapped[str] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skipped: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = _created()


class FindingRow(Base):
    """APPEND-ONLY. A finding (疑点); `finding_key` makes a second run of the same data add nothing."""

    __tablename__ = "sv_finding"
    __table_args__ = (Index("ix_sv_finding_rule", "rule_id", "found_on"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    finding_key: Mapped[str] = mapped_column(String(64), unique=True)
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("sv_run.id"))
    rule_id: Mapped[str] = mapped_column(String(40))
    rule_name: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(8))
    blocking: Mapped[bool] = mapped_column(Boolean, default=False)
    setl_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    related_setl_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    psn_no: Mapped[Optional[str]] = mapped_column(Code, index=True)
    fixmedins_code: Mapped[Optional[str]] = mapped_column(Code, index=True)
    doctor_code: Mapped[Optional[str]] = mapped_column(String(64))
    feedetl_sns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    county: Mapped[Optional[str]] = mapped_column(County)
    amount: Mapped[int] = mapped_column(Money, default=0)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    found_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _created()


class CaseRow(Base):
    """APPEND-ONLY. A case (案件) about one subject: an institution, a person or a doctor."""

    __tablename__ = "sv_case"
    __table_args__ = (CheckConstraint("subject_kind IN ('institution', 'person', 'doctor')", name="subject_kind"),
                      Index("ix_sv_case_subject", "subject_kind", "subject_id"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(County)
    amount_at_issue: Mapped[int] = mapped_column(Money, default=0)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _created()


class CaseFindingRow(Base):
    """APPEND-ONLY. The findings (and so the settlements) a case is about; a finding joins one case at most."""

    __tablename__ = "sv_case_finding"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("sv_case.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("sv_finding.id"), unique=True)


class CaseEventRow(Base):
    """APPEND-ONLY. One step of a case: open, review, appeal, decide, receipt (with its data)."""

    __tablename__ = "sv_case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("sv_case.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = _created()


class BenefitSuspensionRow(Base):
    """APPEND-ONLY. 取消（暂停）参保人待遇 for a period, or its lifting (kind `lift`)."""

    __tablename__ = "sv_benefit_suspension"
    __table_args__ = (CheckConstraint("kind IN ('suspend', 'lift')", name="kind"),
                      Index("ix_sv_benefit_suspension_person", "psn_no", "valid_from"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(Code)
    kind: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    case_no: Mapped[Optional[str]] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()


class AgreementActionRow(Base):
    """APPEND-ONLY. A change of an institution's agreement (暂停/解除协议) decided in a case; the
    institution row's `agreement_status` follows it."""

    __tablename__ = "sv_agreement_action"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institution.code"), index=True)
    action: Mapped[str] = mapped_column(String(12))  # suspended, exited
    on: Mapped[dt.date] = mapped_column(Date)
    case_no: Mapped[Optional[str]] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()


class CreditEventRow(Base):
    """APPEND-ONLY. A credit score event of a subject; `source` (finding, decision, recovery) makes it once only."""

    __tablename__ = "sv_credit_event"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "source"),
                      Index("ix_sv_credit_event_subject", "subject_kind", "subject_id", "on"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(64))
    on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(120))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    scoring_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = _created()

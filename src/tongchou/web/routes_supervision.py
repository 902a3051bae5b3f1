"""Audit findings (疑点) and cases (案件) from the supervision package, read-only, by county scope."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from tongchou.access.sessions import Current
from tongchou.web import queries
from tongchou.web.auth import render, require, store_for

router = APIRouter()


@router.get("/supervision")
def supervision(request: Request, page: int = 1, current: Current = Depends(require("supervision.view"))):
    from tongchou.supervision import models as sv

    store = store_for(request, current)
    scope = current.principal.county_scope

    def work(session):
        findings = queries.page_of(session, queries.scoped(select(sv.FindingRow), sv.FindingRow.county, scope)
                                   .order_by(sv.FindingRow.found_on.desc(), sv.FindingRow.id.desc()), page)
        cases = list(session.execute(queries.scoped(select(sv.CaseRow), sv.CaseRow.county, scope)
                                     .order_by(sv.CaseRow.opened_on.desc()).limit(50)).scalars())
        return findings, cases
    findings, cases = store.read(work)
    return render(request, current, "supervision.html", findings=findings, cases=cases,
                  severity={"high": "高", "medium": "中", "low": "低"},
                  subject_kinds={"institution": "定点医药机构", "person": "参保人", "doctor": "医师"})

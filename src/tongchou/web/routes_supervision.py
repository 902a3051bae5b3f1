"""Audit findings (疑点) and cases (案件) from the supervision package, by county scope; a city role with
`supervision.screen` runs the after-the-fact batch screening (事后筛查) of the store's settlements from the
page, which records its findings (the same run as `tongchou supervision screen --db`)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from tongchou.access.sessions import Current
from tongchou.web import queries
from tongchou.web.auth import audit, checked_form, console_of, render, require, store_for

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
        runs = session.execute(select(func.count()).select_from(sv.ScreeningRun)).scalar_one()
        names = queries.institution_names(session, {f.fixmedins_code for (f,) in findings.rows if f.fixmedins_code})
        return findings, cases, runs, queries.county_names(session), names
    findings, cases, runs, counties, institutions = store.read(work)
    return render(request, current, "supervision.html", findings=findings, cases=cases, screened=runs > 0,
                  counties=counties, institutions=institutions, may_screen=current.principal.can("supervision.screen"),
                  severity={"high": "高", "medium": "中", "low": "低"},
                  subject_kinds={"institution": "定点医药机构", "person": "参保人", "doctor": "医师"},
                  added=request.query_params.get("added"))


@router.post("/supervision/screen")
async def screen(request: Request, current: Current = Depends(require("supervision.screen"))):
    """Screen the year's settlements with the rule book; the findings are recorded (a finding already
    recorded is not added again)."""
    await checked_form(request, current)
    from tongchou.supervision.service import screen_stored

    console = console_of(request)
    today = console.today()
    added = screen_stored(console.store, dt.date(today.year, 1, 1), today, source=f"console:{today.year}",
                          found_on=today, reader=store_for(request, current))
    audit(request, current, "supervision.screen", object_type="sv_run", detail={"added": added, "year": today.year})
    return RedirectResponse(f"/supervision?added={added}", status_code=303)

"""Designated institutions: the list, one institution's settlements (paged) and clearing statements."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from tongchou.access.sessions import Current
from tongchou.web import clearing_view, queries
from tongchou.web.auth import console_of, is_htmx, render, require, store_for

router = APIRouter()


@router.get("/institutions")
def institutions(request: Request, page: int = 1, current: Current = Depends(require("institution.view"))):
    store = store_for(request, current)
    found = store.read(lambda s: queries.institutions(s, current.principal.county_scope, page))
    names = store.read(queries.county_names)
    return render(request, current, "institutions.html", page=found, names=names)


@router.get("/institutions/{code}")
def institution(request: Request, code: str, page: int = 1, month: str | None = None,
                current: Current = Depends(require("institution.view"))):
    console = console_of(request)
    store = store_for(request, current)
    scope = current.principal.county_scope
    row = store.read(lambda s: queries.institution(s, scope, code))
    if row is None:
        raise HTTPException(404)
    settlements = store.read(lambda s: queries.institution_settlements(s, scope, code, page))
    if is_htmx(request) and request.headers.get("hx-target") == "settlements":
        return render(request, current, "_settlement_rows.html", page=settlements, institution=row)
    months = store.read(lambda s: queries.institution_months(s, code))
    statement, runs = None, []
    if current.principal.can("clearing.view"):
        month = month if month in months else (months[0] if months else None)
        if month and console.clearing_rules is not None:
            statement = store.read(lambda s: clearing_view.statement(s, row, month, console.clearing_rules))
        runs = store.read(lambda s: queries.clearing_runs(s, code))
    return render(request, current, "institution.html", institution=row, page=settlements, months=months,
                  month=month, statement=statement, runs=runs, run_status=clearing_view.RUN_STATUS,
                  run_kinds=clearing_view.RUN_KINDS, rules=console.clearing_rules)

"""The pool's dashboard, the fund operation report and budgets with the risk adjustment fund."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request

from tongchou.access.sessions import Current
from tongchou.web import funds_view, queries
from tongchou.web.auth import console_of, render, require, store_for
from tongchou.web.charts import as_json

router = APIRouter()


def as_of(request: Request, on: str | None) -> dt.date:
    """The date asked for, else the business date capped at the latest booking (so a region whose
    books end earlier still shows its figures)."""
    if on:
        try:
            return dt.date.fromisoformat(on)
        except ValueError:
            pass
    console = console_of(request)
    today = console.today()
    latest = console.store.read(queries.latest_booking)
    return min(today, latest) if latest else today


@router.get("/")
def dashboard(request: Request, on: str | None = None, current: Current = Depends(require("dashboard.view"))):
    store = store_for(request, current)
    day = as_of(request, on)
    names = store.read(queries.county_names)
    board = store.read(lambda s: funds_view.dashboard(s, day, current.principal.county_scope, names))
    return render(request, current, "dashboard.html", board=board, names=names, scope_label=funds_view.scope_label,
                  status_name=funds_view.status_name, charts={k: as_json(v) for k, v in board.charts.items()})


@router.get("/reports/fund-operation")
def fund_operation(request: Request, start: str | None = None, end: str | None = None, insutype: str = "390",
                   current: Current = Depends(require("report.view"))):
    store = store_for(request, current)
    last = as_of(request, end)
    first = last.replace(month=1, day=1)
    if start:
        try:
            first = dt.date.fromisoformat(start)
        except ValueError:
            pass
    error = None
    if first > last or first.year != last.year:
        error, first = "统计期间须在同一年度内，且开始日期不晚于结束日期；已改为当年1月1日起。", last.replace(month=1, day=1)
    scope = current.principal.county_scope
    report = funds_view.operation_report(store, first, last, scope, store.read(lambda s: region_name(s, scope)),
                                         insutype)
    return render(request, current, "report.html", report=report, error=error,
                  charts={k: as_json(v) for k, v in report.charts.items()})


def region_name(session, county: str | None) -> str | None:
    """The pool's name, or the county's for a county user (their report is their county's)."""
    if county is not None:
        return queries.county_names(session).get(county, county)
    pool = queries.pool_of(session)
    return pool.name if pool else None


@router.get("/budgets")
def budgets(request: Request, year: int | None = None, month: int | None = None,
            current: Current = Depends(require("budget.view"))):
    console = console_of(request)
    store = store_for(request, current)
    day = as_of(request, None)
    year = year or day.year
    month = month if month and 1 <= month <= 12 else (day.month if year == day.year else 12)
    names = store.read(queries.county_names)
    pool = store.read(queries.pool_of)
    page = store.read(lambda s: funds_view.budget_page(s, year, month, current.principal.county_scope, names,
                                                       console.risk_rule, (pool.admdvs, pool.name) if pool else None))
    return render(request, current, "budgets.html", page=page, month=month,
                  charts={k: as_json(v) for k, v in page.charts.items()})

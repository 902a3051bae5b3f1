"""Who is asking, whether they may, and the page frame: the dependencies every route uses.

- `require(permission)` — the signed-in user's `Current` (principal + CSRF token), or a redirect
  to the sign-in page, or 403 when the role lacks the permission;
- `checked_form(request, current)` — the POSTed form once its CSRF token matched the session's;
- `render(request, current, template, **context)` — a page with the navigation the role may use;
- `store_for(request, current)` — the store limited to the user's county (row-level security on
  PostgreSQL: every transaction sets `tongchou.county`), for every read and change a route makes;
- `audit(request, current, action, …)` — one event in the audit trail (who, from which address);
- `person_scope` / `person_store_for` — the scope of the persons pages and front-office matters: the user's
  county, or the whole pool for a role holding `person.anycounty` (全城通办, the service desk); finance,
  reports and everything else stay with `store_for` (the user's county). An access to a person of another
  county is audited with `cross_county: true` (`audit(..., person_county=…)`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tongchou.access import csrf
from tongchou.masking import scrub
from tongchou.access.sessions import Current

SESSION_COOKIE = "tongchou_session"

NAV = (  # path, label, permission
    ("/", "基金概况", "dashboard.view"),
    ("/persons", "参保人查询", "person.view"),
    ("/persons/register", "参保登记", "person.register"),
    ("/persons/import", "批量登记", "person.register"),
    ("/employers", "用人单位", "employer.view"),
    ("/filings", "慢特病申报", "person.view"),
    ("/reimbursements/new", "零星报销", "reimbursement.manual"),
    ("/payments", "代发", "payment.manage"),
    ("/institutions", "定点医药机构", "institution.view"),
    ("/reports/fund-operation", "基金运行分析", "report.view"),
    ("/budgets", "预算与调剂金", "budget.view"),
    ("/policies", "医保政策", "policy.view"),
    ("/simulation", "政策测算", "simulation.run"),
    ("/supervision", "稽核监管", "supervision.view"),
    ("/exports", "数据导出", "export.claims"),
)


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str = "您的角色没有访问此页面的权限。"):
        super().__init__(message)
        self.message = message


def console_of(request: Request):
    return request.app.state.console


def current_user(request: Request) -> Current:
    current = console_of(request).sessions.current(request.cookies.get(SESSION_COOKIE))
    if current is None:
        raise NotSignedIn()
    return current


def client_ip(request: Request) -> str | None:
    """The peer address (the console is served without proxy headers; behind a reverse proxy configure
    uvicorn's `--forwarded-allow-ips` so that this is the client's address)."""
    return request.client.host if request.client else None


def store_for(request: Request, current: Current):
    """The store limited to the principal's county (None: city-wide)."""
    return console_of(request).store.scoped(current.principal.county_scope)


ANY_COUNTY = "person.anycounty"  # 全城通办


def person_scope(current: Current) -> str | None:
    """The county the persons pages and front-office matters are limited to: None (the pool) for 全城通办."""
    return None if current.principal.can(ANY_COUNTY) else current.principal.county_scope


def person_counties(request: Request, current: Current) -> frozenset[str] | None:
    """The counties whose persons the user may find and serve: None for a city-wide role; the counties of the
    user's pool for 全城通办; else the user's own county."""
    principal = current.principal
    if principal.county_scope is None:
        return None
    if not principal.can(ANY_COUNTY):
        return frozenset({principal.county_scope})
    from sqlalchemy import select
    from tongchou.store import models as m

    def work(session):
        pool = select(m.CountyRow.pool).where(m.CountyRow.admdvs == principal.county).scalar_subquery()
        return frozenset(session.scalars(select(m.CountyRow.admdvs).where(m.CountyRow.pool == pool)))
    return console_of(request).store.read(work) or frozenset({principal.county_scope})


def person_store_for(request: Request, current: Current):
    """The store of the persons pages and front-office matters (`person_scope`); never for finance or reports."""
    return console_of(request).store.scoped(person_scope(current))


def is_cross_county(current: Current, county: str | None) -> bool:
    """A county-bound user reaching a person of another county (only 全城通办 can)."""
    own = current.principal.county
    return own is not None and county is not None and county != own


def actor_of(request: Request, current: Current):
    from tongchou.audit.trail import Actor
    return Actor.of(current.principal, client_ip(request))


def audit(request: Request, current: Current, action: str, *, person_county: str | None = None,
          **fields: Any) -> None:
    """One audit event; an object id the user typed is scrubbed (an ID number typed as a psn_no). With
    `person_county` (the county of the person concerned), an access across counties says so in the detail
    (`cross_county: true`, the person's county)."""
    if is_cross_county(current, person_county):
        fields["detail"] = {**(fields.get("detail") or {}), "cross_county": True, "person_county": person_county}
    if isinstance(fields.get("object_id"), str):
        fields["object_id"] = scrub(fields["object_id"])
    console_of(request).audit.record(actor_of(request, current), action, **fields)


def require(permission: str):
    def dependency(current: Current = Depends(current_user)) -> Current:
        if not current.principal.can(permission):
            raise Forbidden()
        return current
    return dependency


async def checked_multipart(request: Request, current: Current, **limits: int):
    """The whole form (files included, within Starlette's `limits`: max_files, max_part_size), once the CSRF
    token (field or X-CSRF-Token header) matches the session's."""
    form = await request.form(**limits)
    given = form.get(csrf.FIELD) or request.headers.get(csrf.HEADER)
    if not csrf.matches(current.csrf_token, given if isinstance(given, str) else None):
        raise Forbidden("表单已过期或来源不明（CSRF 校验未通过），请刷新页面后重新提交。")
    return form


async def checked_form(request: Request, current: Current) -> dict[str, str]:
    """The form's text fields, once the CSRF token matches the session's."""
    form = await checked_multipart(request, current)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def nav_for(request: Request, current: Current | None) -> list[dict[str, Any]]:
    if current is None:
        return []
    items = []
    paths = [path for path, _label, permission in NAV if current.principal.can(permission)]
    for path, label, permission in NAV:
        if current.principal.can(permission):
            longest = max((p for p in paths if request.url.path.startswith(p)), key=len, default=None)
            active = request.url.path == path if path == "/" else longest == path
            items.append({"path": path, "label": label, "active": active})
    return items


def render(request: Request, current: Current | None, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    console = console_of(request)
    for name in ("errors", "message"):  # what a page says back never carries an ID or phone number typed in
        if isinstance(context.get(name), dict):
            context[name] = {k: scrub(v) if isinstance(v, str) else v for k, v in context[name].items()}
        elif isinstance(context.get(name), str):
            context[name] = scrub(context[name])
    base = {"current": current, "nav": nav_for(request, current),
            "csrf_token": current.csrf_token if current else "", "principal": current.principal if current else None,
            "county_name": _county_name(console, current)}
    return console.templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def _county_name(console, current: Current | None) -> str:
    if current is None or current.principal.county is None:
        return "全统筹区"
    from tongchou.store import models as m
    row = console.store.read(lambda s: s.get(m.CountyRow, current.principal.county))
    return row.name if row else current.principal.county


def sign_in_redirect(request: Request):
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login" + ("" if target == "/" else f"?next={quote(target)}")
    if is_htmx(request):
        return HTMLResponse("", status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def forbidden_response(request: Request, exc: Forbidden) -> HTMLResponse:
    console = console_of(request)
    try:
        current = console.sessions.current(request.cookies.get(SESSION_COOKIE))
    except Exception:  # noqa: BLE001 — the error page must render whatever happened
        current = None
    return render(request, current, "error.html", status_code=403, title="无权访问", message=exc.message, status=403)

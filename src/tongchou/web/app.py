"""`create_app(store, registry, …)`: the console as a FastAPI application.

Routes are thin: they check the permission (every route names one, see access/roles.yaml),
read or call the services and the core, and render a template. Queries are limited to the
user's county for county-scoped roles (`tongchou.web.queries`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from tongchou.clock import Clock, utc_now
from tongchou.access.headers import SecureHeadersMiddleware
from tongchou.access.permissions import RoleBook, load_roles
from tongchou.access.sessions import SessionService
from tongchou.access.users import UserService
from tongchou.audit.trail import Actor, AuditTrail, record_policy_versions
from tongchou.clearing.rules import ClearingRules, load_rules
from tongchou.enrolment.service import EnrolmentService
from tongchou.funds.fund_rules import RiskAdjustmentRule
from tongchou.policy.registry import Registry
from tongchou.settlement.service import SettlementService
from tongchou.store.crypto import DataCipher, cipher_from_environment
from tongchou.store.uow import Store
from tongchou.web.auth import Forbidden, NotSignedIn, forbidden_response, sign_in_redirect
from tongchou.web.format import FILTERS
from tongchou.web.reimbursement import Limits

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
DEFAULT_RISK_RULE = Path(__file__).resolve().parents[3] / "policies" / "funds" / "changzhutan-risk-adjustment.yaml"




@dataclass
class Console:
    """What the routes use: the store, the services, the configuration."""

    store: Store
    registry: Registry
    cipher: DataCipher
    settlements: SettlementService
    enrolments: EnrolmentService
    users: UserService
    sessions: SessionService
    roles: RoleBook
    templates: Jinja2Templates
    today: Callable[[], dt.date]
    clearing_rules: ClearingRules | None
    risk_rule: RiskAdjustmentRule | None
    secure_cookies: bool | None = None
    audit: AuditTrail | None = None
    reimbursement_limits: Limits = Limits()
    employer_terms: Mapping[str, Any] = field(default_factory=dict)  # policies/employers by pool
    batch_files: dict[str, Any] = field(default_factory=dict)  # errors files of recent batches, for download


def _risk_rule(path: Path | None) -> RiskAdjustmentRule | None:
    from tongchou.funds.fund_rules import load_rule
    path = path or DEFAULT_RISK_RULE
    if not path.is_file():
        return None
    rule = load_rule(path)
    return rule if isinstance(rule, RiskAdjustmentRule) else None


def _clearing_rules(path: Path | None) -> ClearingRules | None:
    try:
        return load_rules(path)
    except Exception:  # noqa: BLE001 — without rules the institution page says so instead of failing
        return None


def _employer_terms(terms: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if terms is not None:
        return terms
    from tongchou.employers.terms import TermsError, load_terms
    try:
        return load_terms()
    except TermsError:  # the declaration pages then say that the pool has no declaration terms
        return {}


def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=str(TEMPLATES))
    engine.env.filters.update(FILTERS)
    engine.env.globals["asset_version"] = _asset_version()
    return engine


def _asset_version() -> str:
    stamps = [int(p.stat().st_mtime) for p in STATIC.glob("*") if p.is_file()]
    return str(max(stamps, default=0))


def create_app(store: Store, registry: Registry, *, cipher: DataCipher | None = None,
               today: Callable[[], dt.date] = dt.date.today, now: Clock = utc_now,
               clearing_rules: Path | None = None, risk_rule: Path | None = None,
               secure_cookies: bool | None = None, record_policies: bool = True,
               reimbursement_limits: Limits = Limits(), employer_terms: Mapping[str, Any] | None = None,
               title: str = "统筹 · 医保基金市级统筹管理控制台") -> FastAPI:
    """The console over `store` and `registry`. `cipher` finds persons by ID number (default: the
    environment's data key); `today` is the business date; `secure_cookies` None means: Secure when
    the request came over HTTPS. Every route reads and writes through the store scoped to the user's
    county (`auth.store_for`: row-level security on PostgreSQL); sign-ins, views of a person's record and
    changes go to the audit trail; `reimbursement_limits` are the manual reimbursement's bounds and review
    threshold (双人复核); `employer_terms` the declaration terms by pool (default policies/employers); at start the policy versions loaded are recorded (`record_policies`:
    publication = the reviewed policy file, see docs/security.md)."""
    roles = load_roles()
    console = Console(
        store=store, registry=registry, cipher=cipher or cipher_from_environment(),
        settlements=SettlementService(store, registry, today=today), enrolments=EnrolmentService(store, registry),
        users=UserService(store, roles, now), sessions=SessionService(store, roles, now), roles=roles,
        templates=templates(), today=today, clearing_rules=_clearing_rules(clearing_rules),
        risk_rule=_risk_rule(risk_rule), secure_cookies=secure_cookies,
        audit=AuditTrail(store, now), reimbursement_limits=reimbursement_limits,
        employer_terms=_employer_terms(employer_terms),
    )
    if record_policies:
        # publication = the reviewed policy file as the service loads it: each new (id, version, file hash)
        record_policy_versions(store, registry, Actor("service:console", "service"), now)
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = console
    app.add_middleware(SecureHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _handlers(app)
    from tongchou.web import (
        attachments, routes_auth, routes_employers, routes_exports, routes_filings, routes_front_office,
        routes_funds, routes_institutions, routes_payments, routes_people, routes_policies, routes_supervision,
        routes_transfers,
    )
    # the front office before the persons pages: /persons/register and /persons/import are not person numbers
    for module in (attachments, routes_auth, routes_front_office, routes_people, routes_employers, routes_filings,
                   routes_funds, routes_institutions,
                   routes_policies, routes_exports, routes_supervision, routes_payments, routes_transfers):
        app.include_router(module.router)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn):
        return sign_in_redirect(request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return forbidden_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        console: Console = request.app.state.console
        message = {404: "页面或记录不存在（或不在您的管辖范围内）。", 405: "不支持该操作。"}.get(
            exc.status_code, "请求无法处理。")
        return console.templates.TemplateResponse(request, "error.html", {
            "title": "出错了", "message": message, "status": exc.status_code, "current": None, "nav": []},
            status_code=exc.status_code)

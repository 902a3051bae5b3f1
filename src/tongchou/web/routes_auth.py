"""Sign-in and sign-out (both recorded in the audit trail: `UserService.authenticate`, `signout`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from tongchou.access import csrf
from tongchou.access.sessions import Current
from tongchou.access.users import SignInRefused
from tongchou.audit.trail import SIGNOUT
from tongchou.web.auth import SESSION_COOKIE, audit, checked_form, client_ip, console_of, current_user, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _secure(request: Request) -> bool:
    configured = console_of(request).secure_cookies
    return request.url.scheme == "https" if configured is None else configured


def _login_page(request: Request, token: str, status_code: int = 200, **context):
    response = render(request, None, "login.html", status_code=status_code, signin_token=token,
                      next=_safe_next(request.query_params.get("next") or context.pop("next", None)), **context)
    response.set_cookie(csrf.PRE_SESSION_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        path="/login")
    return response


@router.get("/login")
def login_form(request: Request):
    return _login_page(request, request.cookies.get(csrf.PRE_SESSION_COOKIE) or csrf.new_token())


@router.post("/login")
async def login(request: Request):
    form = await request.form()
    expected = request.cookies.get(csrf.PRE_SESSION_COOKIE)
    username = str(form.get("username") or "")
    if not csrf.matches(expected, str(form.get(csrf.FIELD) or "")):
        return _login_page(request, csrf.new_token(), 403, error="页面已过期或来源不明，请重新登录。",
                           username=username)
    console = console_of(request)
    try:
        principal = console.users.authenticate(username, str(form.get("password") or ""), ip=client_ip(request))
    except SignInRefused as exc:
        return _login_page(request, expected, 401, error=exc.message, username=username,
                           next=str(form.get("next") or ""))
    started = console.sessions.start(principal)
    response = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
    response.set_cookie(SESSION_COOKIE, started.token, httponly=True, samesite="strict", secure=_secure(request),
                        path="/", max_age=int(console.sessions.absolute.total_seconds()))
    response.delete_cookie(csrf.PRE_SESSION_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, current: Current = Depends(current_user)):
    await checked_form(request, current)
    console_of(request).sessions.end(request.cookies.get(SESSION_COOKIE))
    audit(request, current, SIGNOUT, object_type="console_user", object_id=current.principal.username)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

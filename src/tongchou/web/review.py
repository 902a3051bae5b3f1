"""双人复核 in the console: the second person who approves a matter moving money above the threshold.

One rule for every such form (manual reimbursement, re-issue of a returned payment, account payout, the
account paying for the family): above `console.reimbursement_limits.review_above` (default 10,000.00 元,
`tongchou console serve --review-above`; exactly the threshold needs none — `payments.review.ReviewRule`)
a user whose role has `reimbursement.review` signs the clerk's form with their own user name and password;
never the clerk, and only for a person of a county the reviewer sees.
"""

from __future__ import annotations

from fastapi import Request

from tongchou.access.sessions import Current
from tongchou.access.users import SignInRefused
from tongchou.payments.review import PERMISSION, ReviewRule
from tongchou.web.auth import client_ip, console_of
from tongchou.web.format import yuan


def rule_of(request: Request) -> ReviewRule:
    return ReviewRule(console_of(request).reimbursement_limits.review_above)


def reviewer_of(request: Request, current: Current, form: dict, county: str, what: str,
                amount: int | None = None) -> tuple[str | None, dict[str, str]]:
    """(the reviewer's user name, {}) — or (None, the field's error). With `amount` at or below the threshold:
    (None, {}), no review needed."""
    console = console_of(request)
    rule = rule_of(request)
    if amount is not None and not rule.needs_review(amount):
        return None, {}
    username = (form.get("review_username") or "").strip()
    password = form.get("review_password") or ""
    limit = yuan(rule.threshold)
    if not username or not password:
        return None, {"review_username": f"合计超过{limit}元，须由复核人（另一名有复核权限的工作人员）填写用户名和密码复核。"}
    if username == current.principal.username:
        return None, {"review_username": "复核人须为经办人以外的另一人（双人复核）。"}
    try:
        reviewer = console.users.authenticate(username, password, ip=client_ip(request))
    except SignInRefused as exc:
        return None, {"review_password": f"复核人身份核验未通过：{exc.message}"}
    if not reviewer.can(PERMISSION):
        return None, {"review_username": f"{reviewer.display_name}（{reviewer.role.label}）没有{what}复核权限。"}
    if not reviewer.sees_county(county):
        return None, {"review_username": f"{reviewer.display_name}不能复核其他区县参保人的{what}。"}
    return reviewer.username, {}

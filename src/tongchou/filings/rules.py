"""门诊慢特病申报 as the seed runs it (pure): "持近三年以内的住院病历及相关检查单据、医保卡、身份证到当地乡镇卫生院申报，
每年两次" (seed 004 篇4 二(一)2②).

An application is received at a township health centre of the pool inside one of the year's windows, with the
documents the policy requires; the county branch approves it (a different person from the one who received it)
or rejects it with a reason; an approval is valid for the policy's period. The windows, the receiving tier, the
documents and the validity are the policy's `chronic_filing` (tongchou.policy.schema.ChronicFiling).

Nothing here reads or writes the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence

from tongchou.codes import AdminTier
from tongchou.enrolment.rules import add_months, date_text
from tongchou.errors import Conflict, InvalidRequest, Refused
from tongchou.policy.schema import ChronicFiling

STATES = {"received": "待审批", "approved": "已审批通过", "rejected": "已驳回"}
KINDS = {"chronic": "门诊慢特病备案", "referral": "转诊备案"}
RECEIVER_NAMES = {"township": "乡镇卫生院", "village": "村卫生室", "county": "县级医疗机构", "city": "市级医疗机构",
                  "province": "省级医疗机构", "outside": "省外医疗机构"}


@dataclass(frozen=True)
class Window:
    """A window of one year, both days included."""

    name: str
    opens: dt.date
    closes: dt.date

    def text(self) -> str:
        return f"{self.name}（{date_text(self.opens)}至{self.closes.month}月{self.closes.day}日）"


def windows_of(terms: ChronicFiling, year: int) -> list[Window]:
    return sorted((Window(w.name, dt.date(year, w.opens.month, w.opens.day), dt.date(year, w.closes.month, w.closes.day))
                   for w in terms.windows), key=lambda w: w.opens)


def window_on(terms: ChronicFiling, day: dt.date) -> Window | None:
    return next((w for w in windows_of(terms, day.year) if w.opens <= day <= w.closes), None)


def check_window(terms: ChronicFiling, day: dt.date) -> Window:
    """The window the day falls in; outside every window the refusal names the year's windows."""
    window = window_on(terms, day)
    if window is None:
        listed = "、".join(w.text() for w in windows_of(terms, day.year))
        raise Refused("received_on", f"{date_text(day)}不在门诊慢特病申报期内，本年度申报期为：{listed}。"
                                     f"请在申报期内到乡镇卫生院申报。", "outside_window")
    return window


@dataclass(frozen=True)
class Receiver:
    """The institution where the application is handed in, as the store knows it."""

    code: str
    name: str
    admin_tier: str
    pool: str | None  # the pool of its county


def check_receiver(terms: ChronicFiling, receiver: Receiver | None, code: str, pool: str) -> None:
    if receiver is None:
        raise InvalidRequest("received_at", f"受理机构{code}不存在。", "unknown_institution")
    if receiver.pool != pool:
        raise InvalidRequest("received_at", f"受理机构{receiver.name}不属于参保人所在统筹区。", "other_pool")
    if receiver.admin_tier not in terms.received_at:
        wanted = "或".join(RECEIVER_NAMES.get(t, AdminTier.label_of(t, t)) for t in terms.received_at)
        actual = RECEIVER_NAMES.get(receiver.admin_tier, AdminTier.label_of(receiver.admin_tier, receiver.admin_tier))
        raise InvalidRequest("received_at", f"门诊慢特病申报须在{wanted}受理，{receiver.name}是{actual}。",
                             "wrong_receiver")


def missing_documents(terms: ChronicFiling, received: Iterable[str]) -> list[str]:
    have = set(received)
    return [kind for kind in terms.documents if kind not in have]


def check_documents(terms: ChronicFiling, received: Iterable[str]) -> None:
    missing = missing_documents(terms, received)
    if missing:
        raise InvalidRequest("documents", f"缺少申报材料：{'、'.join(missing)}。", "missing_documents")


def validity(terms: ChronicFiling, approved_on: dt.date) -> tuple[dt.date, dt.date]:
    """(valid from, valid to), both days included: from the approval date for `months` months (the day before
    the same date `months` later), or to 31 December of the approval year."""
    if terms.validity.to_year_end:
        return approved_on, dt.date(approved_on.year, 12, 31)
    return approved_on, add_months(approved_on, terms.validity.months) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Application:
    """An application as the rules see it."""

    id: int
    psn_no: str
    dise_code: str
    dise_name: str
    state: str  # received | approved | rejected
    received_on: dt.date
    received_by: str
    decided_on: dt.date | None = None
    decided_by: str | None = None
    received_user: str | None = None  # the console user who received it (None: the command line)


def check_no_pending(pending: Sequence[Application], dise_code: str) -> None:
    same = [a for a in pending if a.state == "received" and a.dise_code == dise_code]
    if same:
        a = same[0]
        raise Conflict("dise_code", f"参保人{a.psn_no}已有待审批的“{a.dise_name}”申请（第{a.id}号，"
                                    f"{date_text(a.received_on)}受理），不能重复申报。", "already_applied")


def check_decision(application: Application, decided_by: str, decided_on: dt.date,
                   decided_user: str | None = None) -> None:
    """Only a pending application is decided, by someone other than who received it (the same console user, or
    the same name), not before it came in."""
    if application.state != "received":
        done = "审批通过" if application.state == "approved" else "驳回"
        raise Conflict("application", f"申请第{application.id}号已于{date_text(application.decided_on)}{done}，"
                                      f"不能再次审批。", "already_decided")
    same_user = decided_user is not None and decided_user == application.received_user
    if same_user or decided_by.strip() == application.received_by.strip():
        raise Refused("decided_by", f"审批人不能是受理人本人（申请第{application.id}号由{application.received_by}受理），"
                                    f"须由县医保经办机构的另一人审批。", "same_person")
    if decided_on < application.received_on:
        raise InvalidRequest("decided_on", f"审批日期{date_text(decided_on)}早于受理日期"
                                           f"{date_text(application.received_on)}。")


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidRequest("reason", "驳回须写明理由。")
    if len(text) > 200:
        raise InvalidRequest("reason", "驳回理由不能超过200个字。")
    return text


# ---------------------------------------------------------------- renewal at the year end


@dataclass(frozen=True)
class Held:
    """An approved filing as the renewal list sees it."""

    id: int
    psn_no: str
    kind: str
    dise_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class Renewal:
    filing: Held
    lapsed: bool  # True: ends on or before the year end; False: ends within the days after it
    days_left: int  # from the year end to the last valid day (0 or negative when lapsed)


def renewals(held: Iterable[Held], year: int, within_days: int = 0) -> list[Renewal]:
    """The filings to renew at the end of `year`: those whose validity ends in the year or within `within_days`
    after 31 December, unless a later filing of the same person, kind and disease runs beyond that end (already
    renewed). Ordered by end date, then person."""
    year_end = dt.date(year, 12, 31)
    horizon = year_end + dt.timedelta(days=within_days)
    rows = list(held)
    out = []
    for f in rows:
        if f.valid_to is None or not (dt.date(year, 1, 1) <= f.valid_to <= horizon):
            continue
        renewed = any(o.id != f.id and o.psn_no == f.psn_no and o.kind == f.kind and o.dise_code == f.dise_code
                      and o.valid_from > f.valid_from and (o.valid_to is None or o.valid_to > f.valid_to)
                      for o in rows)
        if not renewed:
            out.append(Renewal(f, f.valid_to <= year_end, (f.valid_to - year_end).days))
    return sorted(out, key=lambda r: (r.filing.valid_to, r.filing.psn_no, r.filing.id))

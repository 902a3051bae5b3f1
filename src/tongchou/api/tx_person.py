"""9001 sign-in and 1101 person information."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.api import answers, wire
from tongchou.api.envelope import now_local
from tongchou.api.jsonout import yuan
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.codes import Insutype, MdtrtCertType
from tongchou.ledger.book import personal_account_balance
from tongchou.store import models as m
from tongchou.errors import InvalidRequest, NotFound


def sign_in(ctx: Context, call: Call) -> Reply:
    moment = now_local()
    sign_no = f"{moment:%Y%m%d%H%M%S}{secrets.randbelow(10**16):016d}"
    return ctx.write(call, lambda _s: {"signinoutb": {"sign_time": answers.dt_text(moment.replace(tzinfo=None)),
                                                      "sign_no": sign_no}})


def person_info(ctx: Context, call: Call) -> Reply:
    query: wire.PersonQuery = call.input.data

    def work(session: Session) -> dict[str, Any]:
        person = _find_person(ctx, session, query)
        on = (query.begntime or now_local().replace(tzinfo=None)).date()
        certno = ctx.certno(person)
        base = answers.person_fields(person, certno, on)
        if query.mdtrt_cert_type != MdtrtCertType.E_CERTIFICATE and certno:
            base["certno"] = certno  # the card holder's own certificate, as presented
        base["exp_content"] = ""
        return {"baseinfo": base, "insuinfo": _insuinfo(session, person, on),
                "idetinfo": answers.idetinfo(person.assistance or [], f"{on:%Y-%m-%d} 00:00:00")}
    return ctx.write(call, work)


def _find_person(ctx: Context, session: Session, query: wire.PersonQuery) -> m.Person:
    if query.mdtrt_cert_type == MdtrtCertType.E_CERTIFICATE:
        person = session.get(m.Person, query.mdtrt_cert_no)
    elif query.mdtrt_cert_type in (MdtrtCertType.ID_CARD, MdtrtCertType.SOCIAL_SECURITY_CARD):
        if query.mdtrt_cert_type == MdtrtCertType.SOCIAL_SECURITY_CARD and not query.card_sn:
            raise InvalidRequest("card_sn", "就诊凭证类型为03（社保卡）时卡识别码必填。")
        digest = ctx.cipher.lookup_hash(query.mdtrt_cert_no, "person.id_number")
        person = session.execute(select(m.Person).where(m.Person.id_number_hash == digest)).scalar_one_or_none()
    else:
        raise InvalidRequest("mdtrt_cert_type", "就诊凭证类型应为01（电子凭证）、02（身份证）或03（社保卡）。")
    if person is None:
        raise NotFound("mdtrt_cert_no", "未查询到该就诊凭证对应的参保人。")
    return person


def _insuinfo(session: Session, person: m.Person, on: dt.date) -> list[dict[str, Any]]:
    rows = session.execute(select(m.Enrolment).where(m.Enrolment.psn_no == person.psn_no)
                           .order_by(m.Enrolment.insutype, m.Enrolment.start)).scalars().all()
    latest: dict[str, m.Enrolment] = {}
    for row in rows:
        if row.start <= on or row.insutype not in latest:
            latest[row.insutype] = row
    employer = session.get(m.Employer, person.employer) if person.employer else None
    county = session.get(m.CountyRow, person.county)
    out = []
    for insutype, row in sorted(latest.items()):
        active = row.start <= on and (row.end is None or on <= row.end)
        balance = personal_account_balance(session, person.psn_no) if insutype == Insutype.EMPLOYEE else 0
        out.append({"balc": yuan(balance), "insutype": insutype, "psn_type": person.psn_type,
                    "psn_insu_stas": "1" if active else "2", "psn_insu_date": row.start.isoformat(),
                    "paus_insu_date": row.end.isoformat() if row.end and not active else None,
                    "cvlserv_flag": "1" if person.psn_type in answers.CIVIL_SERVANT_TYPES else "0",
                    "insuplc_admdvs": county.pool if county else person.county,
                    "emp_name": employer.name if employer else ""})
    return out


TRANSACTIONS = {
    "9001": Transaction(wire.Input9001, sign_in),
    "1101": Transaction(wire.Input1101, person_info),
}

"""9001 sign-in and 1101 person information (who the person is: api.identity)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.api import answers, identity, wire
from tongchou.api.envelope import ApiError, now_local
from tongchou.api.jsonout import yuan
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.codes import Insutype
from tongchou.ledger.service import personal_account_balance
from tongchou.store import models as m
from tongchou.errors import ServiceError


def sign_in(ctx: Context, call: Call) -> Reply:
    moment = now_local()
    sign_no = f"{moment:%Y%m%d%H%M%S}{secrets.randbelow(10**16):016d}"
    return ctx.write(call, lambda _s: {"signinoutb": {"sign_time": answers.dt_text(moment.replace(tzinfo=None)),
                                                      "sign_no": sign_no}})


def person_info(ctx: Context, call: Call) -> Reply:
    """1101: identified by a certificate (api.identity), within the institution's daily look-up quota; every
    look-up in the audit trail, found or not."""
    query: wire.PersonQuery = call.input.data
    cert = identity.Certificate(query.mdtrt_cert_type, query.mdtrt_cert_no, query.card_sn, query.psn_name)

    def work(session: Session) -> tuple[dict[str, Any] | None, Exception | None]:
        if not identity.count_lookup(session, call.code, now_local().date(), ctx.lookup_quota):
            identity.audit_lookup(session, call.code, cert, "quota", None, call.msgid)
            return None, ApiError(identity.TOO_MANY)
        try:
            person = identity.find_person(session, ctx.cipher, cert)
        except ServiceError as refusal:
            identity.audit_lookup(session, call.code, cert, refusal.code, None, call.msgid)
            return None, refusal
        identity.audit_lookup(session, call.code, cert, "found", person.psn_no, call.msgid)
        output = _person_output(ctx, session, person, query)
        ctx.record(session, call, output, None)
        return output, None

    output, refusal = ctx.store.transaction(work)  # the count and the audit record commit, refused or not
    if refusal is not None:
        raise refusal
    return Reply(output)


def _person_output(ctx: Context, session: Session, person: m.Person, query: wire.PersonQuery) -> dict[str, Any]:
    on = (query.begntime or now_local().replace(tzinfo=None)).date()
    certno = ctx.certno(person)
    base = answers.person_fields(person, certno, on)
    if query.mdtrt_cert_type != identity.ECERT and certno:
        base["certno"] = certno  # the card holder's own certificate, as presented
    base["exp_content"] = ""
    return {"baseinfo": base, "insuinfo": _insuinfo(session, person, on),
            "idetinfo": answers.idetinfo(person.assistance or [], f"{on:%Y-%m-%d} 00:00:00")}


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

"""Who a person is, as an institution proves it (1101, and the certificate of 2201/2401 and later calls).

A person is identified by a certificate (`mdtrt_cert_type`), never by a bare `psn_no`:

- `02` ID card: `mdtrt_cert_no` is the ID number, found by its keyed look-up hash (`person.id_number_hash`);
  a `psn_name` sent with it must be the person's name.
- `03` social security card: `mdtrt_cert_no` is the card number (`person.card_no_hash`) and `card_sn` the
  card's identification code, which must be the card's (`person.card_sn_hash`).
- `01` electronic certificate (医保电子凭证): a token Tongchou issued (`tongchou ecert issue`, the console's
  "出示电子凭证"): `serial.mac`, the MAC keyed by the look-up key, so a forged token is refused without a
  look-up. It is presentable for `ECERT_MINUTES` after issue (1101, and the 2201/2401 that opens a visit);
  the registration binds it to the visit it opened, and from then on it identifies the person for that
  visit only.

Every 1101 counts against the institution's daily look-up quota (`institution.lookup_quota`, else the
service's default) and is written to the audit trail (`api.person_query`), found or not.
Functions run in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tongchou.audit.trail import Actor, append
from tongchou.codes import MdtrtCertType
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher
from tongchou.errors import InvalidRequest, NotFound, Refused
from tongchou.store.uow import insert_new

ECERT, ID_CARD, SOCIAL_CARD = (MdtrtCertType.E_CERTIFICATE, MdtrtCertType.ID_CARD,
                               MdtrtCertType.SOCIAL_SECURITY_CARD)
ECERT_MINUTES = 5
ECERT_COLUMN = "ecert.token"
PERSON_QUERY, ECERT_ISSUE = "api.person_query", "ecert.issue"
DEFAULT_LOOKUP_QUOTA = 5000  # 1101 look-ups per institution and day
TOO_MANY = "查询过于频繁：本机构今日人员信息查询已达上限，请明日再试或联系医保经办机构。"
CERT_FIELD = "mdtrt_cert_no"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- e-certificates

def _mac(cipher: DataCipher, serial: str) -> str:
    return cipher.lookup_hash(serial, ECERT_COLUMN)[:24].lower()


def issue_ecert(session: Session, cipher: DataCipher, psn_no: str, now: dt.datetime | None = None) -> str:
    """A new e-certificate token of the person (45 characters: within the national C50)."""
    if session.get(m.Person, psn_no) is None:
        raise NotFound("psn_no", f"参保人{psn_no}不存在。")
    now = now or _utcnow()
    serial = "EC" + secrets.token_hex(9).upper()
    session.add(m.Ecert(serial=serial, psn_no=psn_no, issued_at=now,
                        expires_at=now + dt.timedelta(minutes=ECERT_MINUTES)))
    session.flush()
    return f"{serial}.{_mac(cipher, serial)}"


def issue_ecert_audited(session: Session, cipher: DataCipher, psn_no: str, actor: Actor) -> str:
    """`issue_ecert` with its audit record (who issued a token for whom; never the token)."""
    token = issue_ecert(session, cipher, psn_no)
    append(session, actor, ECERT_ISSUE, object_type="person", object_id=psn_no)
    return token


def ecert_serial(cipher: DataCipher, token: str) -> str | None:
    """The serial of a token whose MAC is right (None for a forged or malformed token: no look-up needed)."""
    serial, _, mac = token.strip().partition(".")
    if not serial or not mac or not hmac.compare_digest(_mac(cipher, serial), mac.lower()):
        return None
    return serial


def _ecert(session: Session, cipher: DataCipher, token: str, *, lock: bool = False) -> m.Ecert | None:
    serial = ecert_serial(cipher, token)
    if serial is None:
        return None
    query = select(m.Ecert).where(m.Ecert.serial == serial)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def _presentable(row: m.Ecert | None, now: dt.datetime) -> bool:
    return row is not None and row.mdtrt_id is None and now <= _aware(row.expires_at)


# ---------------------------------------------------------------- identifying

@dataclass(frozen=True)
class Certificate:
    """A certificate as presented: `mdtrt_cert_type`, `mdtrt_cert_no` and, for a card, `card_sn`."""

    kind: str
    number: str
    card_sn: str | None = None
    psn_name: str | None = None


def find_person(session: Session, cipher: DataCipher, cert: Certificate, now: dt.datetime | None = None
                ) -> m.Person:
    """1101: the person the certificate identifies; NotFound (naming `mdtrt_cert_no`, never saying which
    part failed) otherwise."""
    now = now or _utcnow()
    person = None
    if cert.kind == ECERT:
        row = _ecert(session, cipher, cert.number)
        if _presentable(row, now):
            person = session.get(m.Person, row.psn_no)
    elif cert.kind == ID_CARD:
        digest = cipher.lookup_hash(cert.number, "person.id_number")
        person = session.execute(select(m.Person).where(m.Person.id_number_hash == digest)).scalar_one_or_none()
        if person is not None and cert.psn_name and cert.psn_name.strip() != person.name:
            person = None
    elif cert.kind == SOCIAL_CARD:
        if not cert.card_sn:
            raise InvalidRequest("card_sn", "就诊凭证类型为03（社保卡）时卡识别码必填。")
        digest = cipher.lookup_hash(cert.number, "person.card_no")
        person = session.execute(select(m.Person).where(m.Person.card_no_hash == digest)).scalar_one_or_none()
        if person is not None and person.card_sn_hash != cipher.lookup_hash(cert.card_sn, "person.card_sn"):
            person = None
    else:
        raise InvalidRequest("mdtrt_cert_type", "就诊凭证类型应为01（电子凭证）、02（身份证）或03（社保卡）。")
    if person is None:
        raise NotFound(CERT_FIELD, "未查询到该就诊凭证对应的参保人（凭证号、姓名或卡识别码不符，或电子凭证已过期）。")
    return person


def check_certificate(session: Session, cipher: DataCipher, psn_no: str, cert: Certificate, *, code: str,
                      mdtrt_id: str, opening: bool, now: dt.datetime | None = None) -> None:
    """The certificate a visit's call carries must be the person's: an ID number or card of `psn_no`, or an
    e-certificate of theirs — presentable and then bound to the visit when `opening` (2201/2401), else bound
    to this visit (`mdtrt_id` at `code`) already. Refused naming `mdtrt_cert_no`."""
    now = now or _utcnow()
    if cert.kind == ECERT and opening:
        row = _ecert(session, cipher, cert.number, lock=True)
        if row is None or row.psn_no != psn_no:
            raise Refused(CERT_FIELD, "电子凭证无效或不属于该参保人。", "certificate_mismatch")
        if not _presentable(row, now):
            raise Refused(CERT_FIELD, f"电子凭证已过期（出示后{ECERT_MINUTES}分钟内有效）或已用于其他就诊。",
                          "certificate_expired")
        session.execute(update(m.Ecert).where(m.Ecert.serial == row.serial).values(
            fixmedins_code=code, mdtrt_id=mdtrt_id, bound_at=now))
        return
    if not certificate_matches(session, cipher, psn_no, cert, code=code, mdtrt_id=mdtrt_id):
        raise Refused(CERT_FIELD, "就诊凭证不属于本次就诊的参保人。", "certificate_mismatch")


def certificate_matches(session: Session, cipher: DataCipher, psn_no: str, cert: Certificate, *, code: str,
                        mdtrt_id: str) -> bool:
    """Whether a certificate carried by a call of a visit (2202–2207, 2301–2305) is the visit person's: the ID
    number (02) or card number (03) of `psn_no`, or an e-certificate (01) bound to this visit."""
    if cert.kind == ECERT:
        return ecert_matches(_ecert(session, cipher, cert.number), psn_no, code, mdtrt_id)
    column = _HASH_COLUMNS.get(cert.kind)
    if column is None:
        raise InvalidRequest("mdtrt_cert_type", "就诊凭证类型应为01（电子凭证）、02（身份证）或03（社保卡）。")
    return hash_matches(cipher, cert, session.execute(select(column[0]).where(m.Person.psn_no == psn_no)).scalar())


_HASH_COLUMNS = {ID_CARD: (m.Person.id_number_hash, "person.id_number"),
                 SOCIAL_CARD: (m.Person.card_no_hash, "person.card_no")}


def ecert_matches(row, psn_no: str, code: str, mdtrt_id: str) -> bool:
    """Whether an e-certificate row (None: no such token) is bound to this visit of this person."""
    return row is not None and (row.psn_no, row.fixmedins_code, row.mdtrt_id) == (psn_no, code, mdtrt_id)


def hash_matches(cipher: DataCipher, cert: Certificate, stored: str | None) -> bool:
    """Whether an ID card (02) or card (03) certificate is the one whose look-up hash the person has stored."""
    return stored is not None and stored == cipher.lookup_hash(cert.number, _HASH_COLUMNS[cert.kind][1])


# ---------------------------------------------------------------- quota and audit

_COUNTS = m.ApiLookupCount.__table__


def count_lookup(session: Session, code: str, day: dt.date, default_quota: int) -> bool:
    """Count one 1101 of the institution on `day` (the row's update serialises concurrent look-ups); False
    when it is past the institution's quota."""
    connection = session.connection()
    key = {"fixmedins_code": code, "day": day}
    connection.execute(insert_new(connection.dialect.name, _COUNTS, "day"), {**key, "count": 0})
    count = connection.execute(update(_COUNTS).where(_COUNTS.c.fixmedins_code == code, _COUNTS.c.day == day)
                               .values(count=_COUNTS.c.count + 1).returning(_COUNTS.c.count)).scalar_one()
    quota = connection.execute(select(m.Institution.lookup_quota).where(m.Institution.code == code)).scalar()
    return count <= (default_quota if quota is None else quota)


def audit_lookup(session: Session, code: str, cert: Certificate, outcome: str, psn_no: str | None,
                 msgid: str) -> None:
    """The 1101 in the audit trail: the institution, the certificate's type (never its number), the person
    found (psn_no) or the outcome (`not_found`, `quota`)."""
    append(session, Actor(f"institution:{code}", "institution"), PERSON_QUERY, object_type="person",
           object_id=psn_no, outcome=outcome, detail={"mdtrt_cert_type": cert.kind, "msgid": msgid,
                                                      "psn_name_checked": bool(cert.psn_name)})

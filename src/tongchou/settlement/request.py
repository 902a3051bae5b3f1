"""A settlement request as every path hands it in (pure data): the fee lines as the institution sends them,
and the visit they belong to. The catalogue, not the request, gives each line's category and proportion."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, fields
from decimal import Decimal

from tongchou.errors import InvalidRequest
from tongchou.money import Fen

INPATIENT_MED_TYPES = frozenset({"21", "22", "23", "52"})
REFERRAL_MED_TYPES = frozenset({"23"})
CHRONIC_MED_TYPES = frozenset({"14"})

# Fields added after settlements were stored: left out of the fingerprint when empty, so that a request
# key stored before them still matches its retry.
ADDED_LATER = frozenset({"diag_code", "oprn_code", "begntime", "part"})
# The DIP codes' national lengths (dscg_maindiag_code C20, oprn_oprt_code C30), checked on every path in.
CODE_LIMITS = {"diag_code": (20, "主要诊断编码"), "oprn_code": (30, "主要手术操作编码")}


@dataclass(frozen=True)
class FeeLine:
    """A fee line as the institution sends it: no category, proportion or cap (the catalogue has them)."""

    code: str
    amount: Fen
    qty: Decimal | None = None
    price: Decimal | None = None
    restriction_met: bool = True  # whether a restricted-use item's condition holds (lmt_used_flag)


@dataclass(frozen=True)
class SettleRequest:
    key: str  # idempotency key: institution code + msgid, or setl_id
    psn_no: str
    insutype: str
    fixmedins_code: str
    mdtrt_id: str
    med_type: str
    begndate: dt.date
    enddate: dt.date
    items: tuple[FeeLine, ...]
    chrg_bchno: str | None = None
    setl_id: str | None = None
    dise_code: str | None = None
    diag_code: str | None = None  # main diagnosis (ICD-10) and main procedure: DIP grouping
    oprn_code: str | None = None
    accident: bool = False
    third_party_liable: bool = False
    acct_used: bool = True
    mulaid_psn_no: str | None = None  # the relative whose account pays what the person's own cannot
    settle_if_ineligible: bool = False  # an ineligible person is settled all self-paid instead of refused
    hosp_part_amt: Fen = 0
    begntime: dt.datetime | None = None  # registration time of an API visit (supervision's screening)
    part: str | None = None  # one part of an admission settled in several (interim settlements): its first fee line

    def __post_init__(self) -> None:
        for name, (limit, label) in CODE_LIMITS.items():
            value = getattr(self, name)
            if value is not None and len(value) > limit:
                raise InvalidRequest(name, f"{label}“{value[:limit]}…”超过{limit}个字符。")

    def fingerprint(self) -> str:
        """A hash of everything but the key: the same key with another fingerprint is a conflict.
        (The body is what `dataclasses.asdict` gives, built without its deep copies.)"""
        body = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "key" and not (f.name in ADDED_LATER and getattr(self, f.name) is None)}
        body["items"] = [{f.name: getattr(line, f.name) for f in fields(line)} for line in self.items]
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()

    @property
    def visit_key(self) -> str:
        """What may have one active settlement: the admission, the part of an admission settled in several,
        or the outpatient charge batch."""
        if self.med_type in INPATIENT_MED_TYPES:
            return f"{self.fixmedins_code}|{self.mdtrt_id}" + (f"|part {self.part}" if self.part else "")
        if not self.chrg_bchno:
            return f"{self.fixmedins_code}|{self.mdtrt_id}"
        return f"{self.fixmedins_code}|{self.mdtrt_id}|{self.chrg_bchno}"

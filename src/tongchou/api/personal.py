"""What the API keeps of the personal data an institution sends (docs/security.md "Personal data").

The national fields as sent are kept with a visit (`api_visit.info`), its diagnoses and fee lines for
reconciliation and audit; an ID number, card number, e-certificate token, phone or the insured person's
name is never kept in plain text there. `redact` keeps of each:

- a certificate (`mdtrt_cert_no`, `certno`, `card_sn`, `card_no`): the masked form (first 6 and last 4
  characters) and, under `<field>_hash`, the keyed look-up hash, which matches `person.id_number_hash`
  (`card_no_hash` for a card, by `mdtrt_cert_type`) without the number itself;
- a phone (`tel`, `phone`, `mob`, `*_tel`): the masked form and its keyed hash;
- the insured person's name (`psn_name`, `name`): its first character and `*`s — staff names (`dr_name`,
  `bilg_dr_name`, …) are not the insured's and stay;
- free text (`memo`, `*_dscr`, remarks, everything inside `exp_content`): ID and mobile numbers in it
  masked (`access.masking.scrub`); codes are kept as sent (a 15-digit serial is no ID number).

Answers (`api_message.output`) are kept whole, for a retry's byte-identical replay, and encrypted
(`api.messages`). Pure: the keyed hash is passed in.
"""

from __future__ import annotations

from typing import Any, Callable

from tongchou.masking import mask_phone, scrub
from tongchou.api.answers import mask_certno

Hasher = Callable[[str, str], str]  # (value, column) -> keyed hash

CERTIFICATES = {"mdtrt_cert_no": "person.id_number", "certno": "person.id_number",
                "card_sn": "person.card_sn", "card_no": "person.card_no"}
CERTIFICATE_TYPES = {"01": "ecert.token", "02": "person.id_number", "03": "person.card_no"}  # of mdtrt_cert_no
PHONES = frozenset({"tel", "phone", "mob", "mobile"})
NAMES = frozenset({"psn_name", "name", "coner_name"})  # the insured and their contact person
FREE_TEXT_ENDINGS = ("memo", "dscr", "remark", "note")


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if name else name


def redact(value: Any, hasher: Hasher, free: bool = False) -> Any:
    """`value` (a node as sent, nested objects and lists included) without personal data in plain text.
    `free`: the value is free text (a remark, an extension), whose ID and mobile numbers are masked."""
    if isinstance(value, dict):
        columns = {**CERTIFICATES, "mdtrt_cert_no": CERTIFICATE_TYPES.get(str(value.get("mdtrt_cert_type") or ""),
                                                                          "person.id_number")}
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_field(str(key), item, hasher, columns, free))
        return out
    if isinstance(value, list):
        return [redact(item, hasher, free) for item in value]
    if isinstance(value, str) and free:
        return scrub(value)
    return value


def _free_text(key: str) -> bool:
    return key.endswith(FREE_TEXT_ENDINGS) or key in ("expContent", "exp_content")


def _field(key: str, value: Any, hasher: Hasher, columns: dict[str, str], free: bool) -> dict[str, Any]:
    if not isinstance(value, str) or not value.strip():
        return {key: redact(value, hasher, free or _free_text(key))}
    if key in columns:
        return {key: mask_certno(value.strip()), f"{key}_hash": hasher(value, columns[key])}
    if key in PHONES or key.endswith("_tel"):
        return {key: mask_phone(value), f"{key}_hash": hasher(value, "person.phone")}
    if key in NAMES:
        return {key: mask_name(value.strip())}
    return {key: scrub(value) if free or _free_text(key) else value}
